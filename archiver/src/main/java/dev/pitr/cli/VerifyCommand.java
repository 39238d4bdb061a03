package dev.pitr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.verify.VerifyService;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails({ErrorCode.VERIFY_FAILED, ErrorCode.BAD_TARGET})
@Command(
        name = "verify",
        description = {
            "Check what storage holds against the catalog, per timeline: history files, WAL segments, snapshots.",
            "The quick pass asks storage about each object (there, its size, its envelope); --deep also reads and"
                    + " decodes each one, checks its plain bytes' checksum, reads each segment's WAL records across"
                    + " into the next segment, and checks every file of a full snapshot against its backup_manifest,"
                    + " writing nothing to disk."
        },
        footer = {
            "Examples:",
            "  pitr verify",
            "  pitr verify --deep --from '2026-12-01 00:00:00' --max-mb-per-second 50 --json"
        })
final class VerifyCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--deep", description = "Read and decode every object, not only ask storage about it.")
    boolean deep;

    @Option(
            names = "--from",
            paramLabel = "TIMESTAMP",
            description = "Only objects archived (snapshots: consistent) at or after this time.")
    String from;

    @Option(
            names = "--to",
            paramLabel = "TIMESTAMP",
            description = "Only objects archived (snapshots: consistent) at or before this time.")
    String to;

    @Option(
            names = "--max-mb-per-second",
            paramLabel = "N",
            description = "Read at most N MiB a second from storage (default: verify.max_mb_per_second; 0: no limit).")
    Integer maxMbPerSecond;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
        Config config = root.config();
        int budget = maxMbPerSecond != null ? maxMbPerSecond : config.requireInt(Key.VERIFY_MAX_MB_PER_SECOND);
        if (budget < 0) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "the read budget is " + budget + " MiB a second",
                    "set it to 0 (no limit) or more");
        }
        Instant start = from == null
                ? null
                : RestoreTarget.parseTime(from, config.zone()).time();
        Instant end =
                to == null ? null : RestoreTarget.parseTime(to, config.zone()).time();
        PrintWriter out = spec.commandLine().getOut();
        VerifyService.Report r;
        try (Repository repo = Repository.open(config, true)) {
            r = new VerifyService(repo, (long) budget << 20, spec.commandLine().getErr()).verify(start, end, deep);
        }
        if (json) {
            out.println(json(r).toPrettyString());
        } else {
            for (VerifyService.Timeline t : r.timelines()) {
                out.printf(
                        "timeline %d: %d history file(s), %d segment(s), %d snapshot(s): %s%n",
                        t.timeline(),
                        t.histories(),
                        t.segments(),
                        t.snapshots(),
                        t.failed() == 0 ? "ok" : t.failed() + " failed");
            }
            for (VerifyService.Problem p : r.problems()) {
                out.println("FAILED " + p.kind() + " " + p.object() + ": " + p.what());
            }
            out.println((r.deep() ? "deep" : "quick") + " verification "
                    + (r.passed() ? "passed" : "found " + r.problems().size() + " problem(s)") + "; "
                    + r.bytesRead() + " bytes read from storage");
        }
        out.flush();
        if (!r.passed()) {
            throw new PitrException(
                    ErrorCode.VERIFY_FAILED,
                    r.problems().size() + " problem(s) found by verification",
                    "restore from what passed; 'pitr restore-window' shows what the catalog can restore");
        }
        return 0;
    }

    private static ObjectNode json(VerifyService.Report r) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("deep", r.deep());
        root.put("passed", r.passed());
        root.put("bytes_read", r.bytesRead());
        ArrayNode ts = root.putArray("timelines");
        for (VerifyService.Timeline t : r.timelines()) {
            ts.addObject()
                    .put("timeline", t.timeline())
                    .put("histories", t.histories())
                    .put("segments", t.segments())
                    .put("snapshots", t.snapshots())
                    .put("failed", t.failed());
        }
        ArrayNode ps = root.putArray("problems");
        for (VerifyService.Problem p : r.problems()) {
            ps.addObject()
                    .put("timeline", p.timeline())
                    .put("kind", p.kind())
                    .put("object", p.object())
                    .put("what", p.what());
        }
        return root;
    }
}
