package dev.pitr.cli;

import dev.pitr.config.Repository;
import dev.pitr.restore.RestoreReports;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.status.Status;
import dev.pitr.status.StatusService;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails
@Command(
        name = "status",
        description =
                "Show the last snapshot, the last WAL received and its age (the RPO), the"
                        + " archive's size, the restorable window and gaps, capture's state on the primary, retention, and warnings.",
        footer = {"Example:", "  pitr status --json"})
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON (what the dashboard's /status.json serves).")
    boolean json;

    @Override
    public Integer call() {
        Status s;
        try (Repository repo = Repository.open(root.config(), true)) {
            s = StatusService.from(root.config(), repo.catalog(), Clock.systemUTC())
                    .status();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(s.toJson().toPrettyString());
        } else {
            print(s, out);
        }
        out.flush();
        return 0;
    }

    private static void print(Status s, PrintWriter out) {
        out.println("last snapshot:   "
                + (s.lastSnapshot() == null
                        ? "none"
                        : s.lastSnapshot().id() + ", consistent "
                                + RestoreTarget.postgresTime(s.lastSnapshot().stopTime()) + " ("
                                + s.lastSnapshot().ageSeconds() + " s ago)"
                                + chainText(s.lastSnapshot())));
        out.println("last WAL:        "
                + (s.lastWal() == null
                        ? "none"
                        : s.lastWal().endLsn() + " on timeline " + s.lastWal().timeline() + ", archived "
                                + RestoreTarget.postgresTime(s.lastWal().archivedAt()) + " (RPO "
                                + s.lastWal().rpoSeconds() + " s)"));
        Status.Restore lr = s.lastRestore();
        if (lr != null) {
            out.println("last restore:    " + lr.outcome() + " (" + lr.id() + ", to " + lr.target() + " from "
                    + lr.snapshot() + (lr.stoppedAt() == null ? "" : ", at " + lr.stoppedAt()) + ")"
                    + (lr.progress() == null ? "" : ": " + lr.progress())
                    + (lr.error() == null ? "" : ": " + lr.error()));
        }
        Status.Drill ld = s.lastDrill();
        if (ld != null) {
            var d = ld.drill();
            out.println("last drill:      " + (d.passed() ? "passed" : "FAILED") + " (" + d.id() + ", finished "
                    + RestoreTarget.postgresTime(d.finishedAt()) + ", to " + d.target()
                    + (d.snapshotId() == null ? "" : " from " + d.snapshotId()) + ")"
                    + (d.timing() == null
                            ? ""
                            : String.format(
                                    java.util.Locale.ROOT,
                                    ": RTO %.1f s (lay-down %.1f s, replay %.1f s)",
                                    d.timing().totalMillis() / 1000.0,
                                    d.timing().layDownMillis() / 1000.0,
                                    d.timing().replayMillis() / 1000.0))
                    + (d.passed() || ld.lastPassed() == null
                            ? ""
                            : "; last passed " + RestoreTarget.postgresTime(ld.lastPassed())));
        }
        if (s.recovery() != null) {
            var rt = s.recovery();
            out.printf(
                    java.util.Locale.ROOT,
                    "recovery time:   about %d s to the latest point now: lay-down of %s (%d MB at %.0f MB/s) and"
                            + " replay of %d MB of WAL at %.0f MB/s, and %.0f s beside; %s%n",
                    rt.total().toSeconds(),
                    rt.snapshot(),
                    rt.layDownBytes() / 1_000_000,
                    rt.layDownRate() / 1e6,
                    rt.replayBytes() / 1_000_000,
                    rt.replayRate() / 1e6,
                    rt.overhead().toMillis() / 1000.0,
                    rt.rates());
        }
        out.println("archive:         " + s.archiveBytes() + " bytes stored");
        for (Status.Size z : s.archive()) {
            out.printf(
                    "                 timeline %d %-8s %6d objects %14d bytes%n",
                    z.timeline(), z.kind(), z.objects(), z.bytes());
        }
        Status.Capture c = s.capture();
        out.println("capture:         "
                + (!c.reachable()
                        ? "primary not reachable" + (c.error() == null ? "" : " (" + c.error() + ")")
                        : (c.slotActive() ? "streaming" : "not streaming") + " from " + c.server() + ", lag "
                                + c.lagBytes() + " bytes, slot holds " + c.retainedBytes() + " bytes of WAL")
                + (c.spoolFreeBytes() == null ? "" : "; spool has " + c.spoolFreeBytes() + " bytes free"));
        Status.Retention r = s.retention();
        out.println("retention:       " + r.policy() + "; pinned: "
                + (r.pinned().isEmpty() ? "none" : String.join(", ", r.pinned()))
                + "; " + r.awaitingRemoval() + " expired items wait out the grace period"
                + (r.nextRemoval() == null ? "" : " (next at " + RestoreTarget.postgresTime(r.nextRemoval()) + ")")
                + "; the policy would expire " + r.wouldExpireSnapshots() + " snapshots and " + r.wouldExpireSegments()
                + " segments now");
        RestoreReports.printWindow(s.window(), out);
        for (String w : s.warnings()) {
            out.println("warning: " + w);
        }
    }

    /** How the snapshot is restored: nothing for a full, the chain for an incremental. */
    private static String chainText(dev.pitr.status.Status.Snapshot s) {
        if (s.lineage().equals("full")) {
            return "";
        }
        return ", " + s.lineage().substring(0, s.lineage().indexOf(':')) + " incremental, " + s.chainLength()
                + " on its full";
    }
}
