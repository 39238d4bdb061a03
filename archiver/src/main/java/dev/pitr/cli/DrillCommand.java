package dev.pitr.cli;

import dev.pitr.catalog.DrillRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.drill.DrillReports;
import dev.pitr.drill.DrillService;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.status.Progress;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails({
    ErrorCode.DRILL_FAILED,
    ErrorCode.BAD_TARGET,
    ErrorCode.TARGET_OUTSIDE_WINDOW,
    ErrorCode.TOOL_MISSING,
    ErrorCode.LOCAL_IO
})
@Command(
        name = "drill",
        description = {
            "Prove the archive restores: restore to a point in the window into a scratch directory, with the server"
                    + " on a private socket only, wait until it promotes at the target, check it (amcheck on every"
                    + " B-tree index of every database where the extension is available, then the SQL checks of"
                    + " drill.checks), record the outcome and the time each phase took in the catalog, and remove the"
                    + " scratch server and directory.",
            "Without --to, the time is picked at random in the window, never in the stretch of the snapshot the last"
                    + " drill that passed restored from when there is another. 'pitr status' and /metrics show the last drill."
        },
        footer = {"Examples:", "  pitr drill", "  pitr drill --to '2026-12-01 14:41:37' --json"})
final class DrillCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true)
    Target target;

    static final class Target {
        @Option(
                names = "--to",
                paramLabel = "TIMESTAMP",
                description = "Restore to this time (timezone applies when it has no offset).")
        String time;

        @Option(names = "--random", description = "Restore to a time picked at random in the window (the default).")
        boolean random;
    }

    @Option(names = "--keep", description = "Leave the scratch directory (its server stopped) to look at.")
    boolean keep;

    @Option(names = "--json", description = "Print the drill's record as JSON; progress goes to stderr as JSON lines.")
    boolean json;

    @Override
    public Integer call() {
        Config config = root.config();
        RestoreTarget to =
                target == null || target.time == null ? null : RestoreTarget.parseTime(target.time, config.zone());
        DrillRecord d;
        try (Repository repo = Repository.open(config, false)) {
            d = new DrillService(
                            config,
                            repo,
                            PgTools.from(config),
                            Clock.systemUTC(),
                            spec.commandLine().getErr())
                    .showing((label, total) ->
                            Progress.of(label, total, json, spec.commandLine().getErr()))
                    .keeping(keep)
                    .drill(to);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(DrillReports.json(d).toPrettyString());
        } else {
            out.println("drill " + d.id() + " " + (d.passed() ? "passed" : "FAILED") + ": " + d.target()
                    + (d.snapshotId() == null ? "" : " from snapshot " + d.snapshotId()));
            if (d.timing() != null) {
                out.printf(
                        java.util.Locale.ROOT,
                        "recovery took %.1f s: lay-down %.1f s (%d MB), replay %.1f s (%d MB of WAL)%n",
                        d.timing().totalMillis() / 1000.0,
                        d.timing().layDownMillis() / 1000.0,
                        d.timing().layDownBytes() / 1_000_000,
                        d.timing().replayMillis() / 1000.0,
                        d.timing().replayBytes() / 1_000_000);
            }
            for (DrillRecord.Check c : d.checks()) {
                out.println((c.passed() ? "ok     " : "FAILED ") + c.name() + ": " + c.detail());
            }
        }
        out.flush();
        if (!d.passed()) {
            throw new PitrException(
                    ErrorCode.DRILL_FAILED,
                    "drill " + d.id() + " failed: " + d.cause(),
                    "a restore to that point would fail the same way: 'pitr verify --deep' names damaged or missing"
                            + " objects; rerun with --keep to look at the restored copy");
        }
        return 0;
    }
}
