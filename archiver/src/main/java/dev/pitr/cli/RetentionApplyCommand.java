package dev.pitr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.retention.ClusterRetention;
import dev.pitr.retention.Retention;
import dev.pitr.retention.RetentionPlan;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(ErrorCode.LEASE_HELD)
@Command(
        name = "apply",
        description =
                "Mark what the policy no longer keeps as expired, and hand to storage what has been expired for the"
                        + " grace period. Shows what goes and why.",
        footer = {"Example:", "  pitr retention apply --dry-run"})
final class RetentionApplyCommand implements Callable<Integer> {

    @ParentCommand
    RetentionCommand retention;

    @Spec
    CommandSpec spec;

    @Option(names = "--dry-run", description = "Show the decisions; change nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Config config = retention.root.config();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Retention.Report report;
        try (Repository repo = Repository.open(config, false)) {
            report = new Retention(
                            repo.catalog(),
                            repo.storage(),
                            ClusterRetention.resolve(
                                    repo.catalog(),
                                    config.configuredRetentionPolicy(),
                                    config.file().toString(),
                                    !dryRun),
                            Clock.systemUTC(),
                            line -> {
                                err.println("retention: " + line);
                                err.flush();
                            })
                    .apply(dryRun);
        }
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report.toMap()));
        } else {
            print(report, out);
        }
        out.flush();
        return 0;
    }

    private static void print(Retention.Report r, PrintWriter out) {
        RetentionPlan p = r.plan();
        out.println((r.dryRun() ? "dry run: nothing changed. " : "") + "policy: "
                + p.policy().describe());
        if (p.windowStart() != null) {
            out.println("restorable from " + RestoreTarget.postgresTime(p.windowStart()) + " on, as before");
        }
        for (RetentionPlan.SnapshotDecision d : p.snapshots()) {
            out.printf(
                    "  %-6s snapshot %-18s %s%n",
                    d.keep() ? "keep" : "expire", d.snapshot().id(), String.join(", ", d.reasons()));
        }
        out.printf(
                "  WAL: keep %d segments, expire %d%s%n",
                p.keptSegments(),
                p.expiredCount(),
                p.firstExpired() == null
                        ? ""
                        : " (" + p.firstExpired() + " to " + p.lastExpired()
                                + ", not needed by a kept snapshot or the window)");
        if (!r.dryRun()) {
            out.printf(
                    "  handed to storage for removal: %d snapshots, %d segments; %d expired items wait out the grace period%n",
                    r.snapshotsRemoved(), r.segmentsRemoved(), r.awaitingGrace());
        }
        for (String w : p.warnings()) {
            out.println("warning: " + w);
        }
    }
}
