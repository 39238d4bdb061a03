package dev.pitr.drill;

import dev.pitr.catalog.DrillRecord;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.RestorePlan;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreService;
import dev.pitr.restore.RestoreSteps;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.restore.TargetTimeline;
import dev.pitr.status.Progress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A restore drill: restores the archive to a point in its window into a scratch directory, as {@code pitr restore}
 * would (the same steps, through {@link RestoreService}), with the server kept to itself ({@link ScratchServer}). Once
 * it promoted at the target, it checks the copy: {@code amcheck}'s {@code bt_index_check} on every B-tree index of
 * every database where the extension is available, then the operator's checks ({@link SqlCheck}). It records the
 * outcome with the restore's timing in the catalog ({@link DrillRecord}), then stops the server and removes the scratch
 * directory, whatever happened. A drill never touches the production server or the archive.
 */
public final class DrillService {

    private static final DateTimeFormatter ID =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Config config;
    private final Repository repo;
    private final PgTools tools;
    private final Clock clock;
    private final PrintWriter log;
    private final DrillSteps drillSteps;
    private BiFunction<String, Long, Progress> progress = (label, total) -> Progress.NONE;
    private boolean keep;

    public DrillService(Config config, Repository repo, PgTools tools, Clock clock, PrintWriter log) {
        this.config = config;
        this.repo = repo;
        this.tools = tools;
        this.clock = clock;
        this.log = log;
        this.drillSteps = new DrillSteps(config, tools, log);
    }

    /** Shows the restore's progress as {@link RestoreService#showing} does. */
    public DrillService showing(BiFunction<String, Long, Progress> progress) {
        this.progress = progress;
        return this;
    }

    /** Leaves the scratch directory (its server stopped) for a look, instead of removing it. */
    public DrillService keeping(boolean keep) {
        this.keep = keep;
        return this;
    }

    /**
     * Runs a drill to {@code target}, or to a time {@link DrillTargets#pick picked} in the window when null, and
     * records it.
     *
     * @return the drill as recorded, passed or failed
     * @throws PitrException for what keeps a drill from starting at all (a bad configuration, no window), which is not
     *     recorded
     */
    public DrillRecord drill(RestoreTarget target) {
        Instant started = clock.instant();
        byte[] token = new byte[3];
        new SecureRandom().nextBytes(token);
        String id = "drill-" + ID.format(started) + "-" + HexFormat.of().formatHex(token);
        List<SqlCheck> sqlChecks = SqlCheck.from(config);
        String statementTimeout = drillSteps.statementTimeout();
        // the last drill's stretch is passed over, unless it failed: then it is worth trying again
        RestoreTarget to = target != null
                ? target
                : RestoreWindow.repairing(
                        repo.catalog(),
                        w -> DrillTargets.pick(
                                w,
                                repo.catalog()
                                        .latestDrill(false)
                                        .filter(DrillRecord::passed)
                                        .map(DrillRecord::snapshotId)
                                        .orElse(null),
                                new SecureRandom()));
        Path scratch = scratchDirectory(id);
        int port = port();
        RestoreRequest request = new RestoreRequest(
                to, new TargetTimeline.Latest(), true, scratch, port, RestoreRequest.Action.PROMOTE, null, false);
        RestoreService restore = new RestoreService(config, repo, tools, clock, log).unrecorded();
        ScratchServer[] server = {null};
        RecoveryTiming timing = null;
        String snapshot = null;
        List<DrillRecord.Check> checks = new ArrayList<>();
        PitrException failure = null;
        Path sockets = null;
        // a drill stopped by a signal still stops its server and removes its copy
        Path[] socketsSeen = {null};
        java.util.concurrent.CountDownLatch recorded = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean aborted = new java.util.concurrent.atomic.AtomicBoolean();
        Thread onExit = new Thread(
                () -> {
                    // the server stopped fails the restore in hand, and the drill cleans up and records that
                    aborted.set(true);
                    if (server[0] != null) {
                        server[0].stop();
                    }
                    try {
                        if (recorded.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                            return;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    cleanUp(server[0], scratch, socketsSeen[0]);
                },
                "pitr-drill-cleanup");
        Runtime.getRuntime().addShutdownHook(onExit);
        try {
            // what a failed restore could not say: which snapshot it started from; and room for a whole copy
            RestorePlan plan = restore.plan(request);
            snapshot = plan.snapshot().id().value();
            drillSteps.requireRoom(scratch, plan.chain().plainSize());
            sockets = ScratchServer.socketDirectory(tools.osUser());
            socketsSeen[0] = sockets;
            Path socketDir = sockets;
            log("drill " + id + ": restoring to " + RestoreTarget.describe(to) + " from " + snapshot + " into "
                    + scratch + " (its server on a private socket in " + sockets + " only)");
            RestoreService.Outcome o = restore.showing(progress)
                    .beforeServerStarts(dir -> {
                        if (aborted.get()) {
                            throw new PitrException(ErrorCode.INTERRUPTED, "the drill was stopped", "run it again");
                        }
                        int major = RestoreSteps.dataDirectoryMajor(dir).orElseThrow();
                        server[0] = new ScratchServer(
                                dir,
                                socketDir,
                                port,
                                config.require(Key.DRILL_USER),
                                tools.forMajor(major),
                                statementTimeout);
                        server[0].isolate(config.require(Key.DRILL_SHARED_BUFFERS));
                    })
                    .restore(request);
            timing = o.timing();
            snapshot = o.snapshot().id().value();
            log("drill " + id + ": restored from " + snapshot + " in " + seconds(timing.totalMillis()) + " (lay-down "
                    + seconds(timing.layDownMillis()) + ", replay " + seconds(timing.replayMillis()) + "); checking");
            checks.addAll(new DrillChecks(server[0], config.requireBoolean(Key.DRILL_AMCHECK), log).run(sqlChecks));
        } catch (PitrException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new PitrException(
                    ErrorCode.INTERNAL, e.toString(), "this is a bug; please report it with the drill's log", e);
        } finally {
            cleanUp(server[0], scratch, sockets);
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) the same clean-up
            }
        }
        List<String> failedChecks = checks.stream()
                .filter(c -> !c.passed())
                .map(c -> c.name() + ": " + c.detail())
                .toList();
        boolean passed = failure == null && failedChecks.isEmpty();
        DrillRecord record = new DrillRecord(
                id,
                started,
                clock.instant(),
                passed,
                RestoreTarget.describe(to),
                snapshot,
                timing,
                checks,
                failure != null ? failure.code().name() : passed ? null : ErrorCode.DRILL_FAILED.name(),
                failure != null
                        ? failure.getMessage()
                        : passed ? null : "checks failed: " + String.join("; ", failedChecks));
        try {
            repo.catalog().recordDrill(record);
        } finally {
            recorded.countDown();
        }
        log("drill " + id + (passed ? " passed" : " FAILED: " + record.cause()));
        return record;
    }

    /**
     * Stops the scratch server and removes its directories (with {@code --keep}, leaves the data directory without what
     * restore_command read). Never throws: a drill is recorded whatever its clean-up met.
     */
    private synchronized void cleanUp(ScratchServer server, Path scratch, Path sockets) {
        try {
            ScratchServer s = server != null ? server : new ScratchServer(scratch, sockets, 0, "", tools, "0");
            if (!s.stop()) {
                log("the drill's scratch server in " + scratch + " did not stop: stop it ('pg_ctl -D ... stop') and"
                        + " remove the directory by hand");
                return;
            }
            if (keep) {
                s.removeSecrets();
                log("the scratch directory " + scratch + " stays, its server stopped: remove it when done");
                if (sockets != null) {
                    RestoreSteps.removeTree(sockets);
                }
                return;
            }
            RestoreSteps.removeTree(scratch);
            if (sockets != null) {
                RestoreSteps.removeTree(sockets);
            }
        } catch (IOException | RuntimeException e) {
            log("cannot clean up after the drill in " + scratch + ": " + e.getMessage() + "; remove it by hand");
        }
    }

    /** A new directory for the drill ({@link DrillSteps#scratchDirectory}). */
    private Path scratchDirectory(String id) {
        Path dir = drillSteps.scratchDirectory(id);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    "the drill's scratch directory " + dir + " exists already",
                    "run the drill again: its id is new each time");
        }
        return dir;
    }

    /** {@code drill.port}, or a port free on this host now when it is 0. */
    private int port() {
        int p = config.requireInt(Key.DRILL_PORT);
        if (p != 0) {
            return p;
        }
        try {
            return LocalCluster.freePort();
        } catch (java.io.UncheckedIOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot find a free port for the drill: " + e.getMessage(),
                    "set drill.port",
                    e);
        }
    }

    private static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private void log(String line) {
        synchronized (log) {
            log.println(line);
            log.flush();
        }
    }
}
