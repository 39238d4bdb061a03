package dev.pitr.cli;

import dev.pitr.catalog.SnapshotId;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.config.StepFunctions;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.RemoteRestore;
import dev.pitr.restore.RestorePlan;
import dev.pitr.restore.RestoreReports;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreService;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.TargetTimeline;
import dev.pitr.status.Progress;
import dev.pitr.wal.Lsn;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.sfn.SfnClient;

@Fails(
        value = {
            ErrorCode.BAD_TARGET,
            ErrorCode.TARGET_OUTSIDE_WINDOW,
            ErrorCode.TARGET_DIR_NOT_EMPTY,
            ErrorCode.SNAPSHOT_NOT_FOUND,
            ErrorCode.WAL_GAP,
            ErrorCode.TIMELINE_UNREACHABLE,
            ErrorCode.RESTORE_FAILED,
            ErrorCode.WRONG_CLUSTER,
            ErrorCode.INTERRUPTED
        },
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
        name = "restore",
        description =
                "Restore a new PostgreSQL server to a time, an LSN, a transaction, a restore point or the latest archived point.",
        footer = {"Example:", "  pitr restore --to '2025-11-23 14:41:37' --target-dir /srv/restored"})
final class RestoreCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    static final class Target {
        @Option(
                names = "--to",
                paramLabel = "TIMESTAMP",
                description = "'2025-11-23 14:41:37' (in the configured timezone) or ISO-8601 with an offset.")
        String time;

        @Option(names = "--lsn", paramLabel = "LSN", description = "e.g. 0/3000028")
        String lsn;

        @Option(names = "--xid", paramLabel = "XID", description = "Stop when this transaction ends (commit or abort).")
        String xid;

        @Option(
                names = "--name",
                paramLabel = "RESTORE_POINT",
                description = "Stop at this pg_create_restore_point() name.")
        String name;

        @Option(names = "--immediate", description = "Stop as soon as the snapshot is consistent.")
        boolean immediate;

        @Option(names = "--latest", description = "Replay everything archived.")
        boolean latest;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(
            names = "--timeline",
            paramLabel = "latest|current|N",
            description = "Timeline to follow (default: latest).")
    String timeline;

    @Option(names = "--exclusive", description = "Stop just before the target instead of just after it.")
    boolean exclusive;

    @Option(names = "--dry-run", description = "Print the plan (snapshot, WAL files, bytes, estimated time) and stop.")
    boolean dryRun;

    @Option(
            names = "--remote",
            description =
                    "Run the restore as an execution of the deployed state machine "
                            + "(stepfunctions.state_machine_arn) and follow it; 'pitr agent' on the target host runs its host steps.")
    boolean remote;

    @Option(
            names = "--pickup-seconds",
            paramLabel = "N",
            description =
                    "With --remote: say when no agent has taken a step for N seconds (default: ${DEFAULT-VALUE}).")
    long pickupSeconds = 60;

    @Option(
            names = "--stop-unpicked",
            description = "With --remote: stop the execution when no agent has taken a step within --pickup-seconds.")
    boolean stopUnpicked;

    @Option(names = "--json", description = "With --dry-run: print the plan as JSON.")
    boolean json;

    @Option(names = "--target-dir", paramLabel = "DIR", description = "Data directory of the restored server.")
    Path targetDir;

    @Option(names = "--port", paramLabel = "N", description = "Port of the restored server (default: restore.port).")
    Integer port;

    @Option(
            names = "--action",
            paramLabel = "promote|pause|shutdown",
            description = "What the server does at the target (default: restore.action).")
    String action;

    @Option(
            names = "--snapshot",
            paramLabel = "ID",
            description = "Use this snapshot instead of the newest one before the target.")
    String snapshot;

    @Option(names = "--force", description = "Wipe a non-empty target directory.")
    boolean force;

    @Option(
            names = "--delta",
            description = "Restore into a stopped data directory of the same cluster (an earlier restore, a stopped"
                    + " standby, the old primary): files whose size and checksum match the snapshot's manifest stay,"
                    + " the rest are fetched, files the snapshot does not hold are removed.")
    boolean delta;

    @Override
    public Integer call() {
        Config config = root.config();
        RestoreTarget t = target(config);
        if (exclusive
                && !(t instanceof RestoreTarget.Time
                        || t instanceof RestoreTarget.AtLsn
                        || t instanceof RestoreTarget.Xid)) {
            throw new PitrException(
                    ErrorCode.USAGE,
                    "--exclusive applies to --to, --lsn and --xid only",
                    "drop --exclusive; see 'pitr restore --help'");
        }
        if (force && delta) {
            throw new PitrException(
                    ErrorCode.USAGE,
                    "--force and --delta exclude each other: --force wipes the directory, --delta keeps what matches",
                    "pass one of them; see 'pitr restore --help'");
        }
        if (targetDir == null && !dryRun) {
            throw new PitrException(
                    ErrorCode.USAGE,
                    "--target-dir is required",
                    "name the data directory of the restored server; see 'pitr restore --help'");
        }
        RestoreRequest req = new RestoreRequest(
                t,
                TargetTimeline.parse(timeline),
                !exclusive,
                targetDir,
                port != null ? port : config.requireInt(Key.RESTORE_PORT),
                parseAction(action != null ? action : config.require(Key.RESTORE_ACTION)),
                snapshot == null ? null : parseSnapshot(snapshot),
                force,
                delta);
        PrintWriter out = spec.commandLine().getOut();
        try (Repository repo = Repository.open(config, false)) {
            RestoreService service = new RestoreService(
                            config,
                            repo,
                            PgTools.from(config),
                            Clock.systemUTC(),
                            spec.commandLine().getErr())
                    .showing((label, total) ->
                            Progress.of(label, total, json, spec.commandLine().getErr()));
            if (dryRun) {
                RestorePlan plan = service.plan(req);
                if (json) {
                    RestoreReports.printPlanJson(plan, req.action(), out);
                } else {
                    RestoreReports.printPlan(plan, req.action(), out);
                }
                return 0;
            }
            if (remote) {
                String id = "pitr-" + java.time.Instant.now().toString().replaceAll("[^0-9A-Za-z]", "");
                try (SfnClient sfn = StepFunctions.client(config, java.time.Duration.ofSeconds(30))) {
                    out.println(new RemoteRestore(
                                    sfn,
                                    StepFunctions.arn(config, Key.STEPFUNCTIONS_STATE_MACHINE_ARN),
                                    repo.catalog(),
                                    out,
                                    java.time.Duration.ofSeconds(2),
                                    java.time.Duration.ofSeconds(pickupSeconds),
                                    stopUnpicked)
                            .run(id, req));
                }
                return 0;
            }
            RestoreService.Outcome o = service.restore(req);
            out.println("restored from snapshot " + o.snapshot().id() + " into " + targetDir.toAbsolutePath());
            if (o.stopReason() != null) {
                out.println("recovery stopped " + o.stopReason());
            }
            if (o.redoDoneAt() != null) {
                out.println("stopped at LSN " + o.redoDoneAt());
            }
            if (o.lastTransaction() != null) {
                out.println("last replayed transaction committed at " + o.lastTransaction());
            }
            if (o.timeline() != null) {
                out.println("server promoted on timeline " + o.timeline() + ", port " + req.port());
            }
            out.flush();
            return 0;
        }
    }

    private RestoreTarget target(Config config) {
        if (target.time != null) {
            return RestoreTarget.parseTime(target.time, config.zone());
        } else if (target.lsn != null) {
            try {
                return new RestoreTarget.AtLsn(Lsn.parse(target.lsn));
            } catch (IllegalArgumentException e) {
                throw new PitrException(
                        ErrorCode.BAD_TARGET,
                        "malformed LSN '" + target.lsn + "'",
                        "write it as PostgreSQL does, e.g. 0/3000028");
            }
        } else if (target.xid != null) {
            return RestoreTarget.parseXid(target.xid);
        } else if (target.name != null) {
            return new RestoreTarget.Named(target.name);
        } else if (target.immediate) {
            return new RestoreTarget.Immediate();
        }
        return new RestoreTarget.Latest();
    }

    private static RestoreRequest.Action parseAction(String a) {
        try {
            return RestoreRequest.Action.valueOf(a.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new PitrException(
                    ErrorCode.BAD_TARGET, "unknown action '" + a + "'", "use promote, pause or shutdown");
        }
    }

    private static SnapshotId parseSnapshot(String id) {
        if (!SnapshotId.isValid(id)) {
            throw new PitrException(
                    ErrorCode.SNAPSHOT_NOT_FOUND, "'" + id + "' is not a snapshot id", "run 'pitr snapshot list'");
        }
        return new SnapshotId(id);
    }
}
