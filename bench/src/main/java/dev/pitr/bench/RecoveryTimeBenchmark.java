package dev.pitr.bench;

import dev.pitr.backup.SnapshotService;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.drill.DrillService;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreService;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.schedule.ScheduledJob;
import dev.pitr.schedule.Scheduler;
import dev.pitr.status.RecoveryTime;
import dev.pitr.wal.CaptureService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether snapshots by recovery time keep a restore to the latest point within {@code snapshot.max_recovery_time}:
 * capture and the recovery-time job (as {@code pitr run} runs them) on a throwaway primary under a steady pgbench
 * load. A drill first measures the rates. The worst-case recovery time is sampled every 2 s while the load runs; the
 * load stops once it has run {@code seconds} and the recovery time is near the bound again, and a real restore to the
 * latest point is timed, so the bound is checked where it is tightest.
 */
final class RecoveryTimeBenchmark {

    private final Benchmarks b;

    RecoveryTimeBenchmark(Benchmarks b) {
        this.b = b;
    }

    void run(int seconds, int maxSeconds, int scale) throws Exception {
        b.reset();
        int port = LocalCluster.freePort();
        Duration max = Duration.ofSeconds(maxSeconds);
        Config config = b.config(
                port,
                Map.of(
                        Key.SNAPSHOT_MAX_RECOVERY_TIME,
                        maxSeconds + "s",
                        Key.SNAPSHOT_SCHEDULE,
                        "0 0 1 1 *",
                        Key.DRILL_DIRECTORY,
                        b.base().toString()));
        PgTools tools = PgTools.from(config).newestInstalled();
        PrintWriter quiet = new PrintWriter(new StringWriter());
        try (LocalCluster primary = LocalCluster.init(tools, b.base().resolve("primary"), port);
                Repository repo = Repository.open(config, false)) {
            // checkpoints as PostgreSQL's defaults space them: the WAL's mix of full-page images is production's
            primary.start();
            primary.execute("SELECT pg_create_physical_replication_slot('" + config.require(Key.WAL_SLOT) + "')");
            PartialBenchmark.pgbench(b, tools, port, "-i", "-q", "-s", Integer.toString(scale));
            CaptureService capture = CaptureService.from(config, repo, Clock.systemUTC(), quiet);
            Thread t = new Thread(capture::run, "capture");
            t.start();
            SnapshotService snapshots = SnapshotService.from(config, repo, Clock.systemUTC(), quiet);
            snapshots.create("first");

            // the rates: a drill to the latest point after two minutes of load
            Process warm = PartialBenchmark.start(b, tools, port, "-n", "-T", "120", "-c", "4", "-j", "2");
            warm.waitFor();
            primary.execute("SELECT pg_switch_wal()");
            Thread.sleep(3000);
            DrillRecord d =
                    new DrillService(config, repo, tools, Clock.systemUTC(), quiet).drill(new RestoreTarget.Latest());
            if (!d.passed()) {
                throw new IllegalStateException("the drill that measures the rates failed: " + d.cause());
            }
            RecoveryTime rates = RecoveryTime.now(repo.catalog()).orElseThrow();
            b.say(String.format(
                    "drill: %.1f s (lay-down %.1f s of %d MB, replay %.1f s of %d MB); rates %.0f MB/s lay-down,"
                            + " %.0f MB/s replay",
                    d.timing().totalMillis() / 1000.0,
                    d.timing().layDownMillis() / 1000.0,
                    d.timing().layDownBytes() / 1_000_000,
                    d.timing().replayMillis() / 1000.0,
                    d.timing().replayBytes() / 1_000_000,
                    rates.layDownRate() / 1e6,
                    rates.replayRate() / 1e6));

            List<String> taken = new ArrayList<>();
            Scheduler scheduler = new Scheduler(
                    List.of(ScheduledJob.byRecoveryTime(
                            max,
                            repo.catalog(),
                            due -> taken.add(snapshots
                                    .create("recovery-time", SnapshotService.Mode.SCHEDULED)
                                    .id()
                                    .value()),
                            "bench",
                            Clock.systemUTC(),
                            line -> {})),
                    Duration.ofSeconds(5));
            scheduler.start();
            Process load = PartialBenchmark.start(b, tools, port, "-n", "-c", "4", "-j", "2", "-T", "100000");
            long t0 = System.nanoTime();
            double worst = 0;
            double last = 0;
            while (true) {
                Thread.sleep(2000);
                last = RecoveryTime.now(repo.catalog()).orElseThrow().total().toMillis() / 1000.0;
                worst = Math.max(worst, last);
                double elapsed = (System.nanoTime() - t0) / 1e9;
                if ((elapsed >= seconds && last >= 0.9 * maxSeconds) || elapsed >= seconds + 300) {
                    break;
                }
            }
            load.destroy();
            load.waitFor();
            scheduler.requestStop();
            scheduler.awaitStopped(Duration.ofMinutes(10));
            primary.execute("SELECT pg_switch_wal()");
            Thread.sleep(5000);
            capture.requestStop();
            t.join();
            RecoveryTime before = RecoveryTime.now(repo.catalog()).orElseThrow();
            long r0 = System.nanoTime();
            RestoreService.Outcome o = new RestoreService(config, repo, tools, Clock.systemUTC(), quiet)
                    .unrecorded()
                    .restore(RestoreRequest.of(
                            new RestoreTarget.Latest(),
                            b.base().resolve("restored"),
                            LocalCluster.freePort(),
                            RestoreRequest.Action.PROMOTE));
            double actual = (System.nanoTime() - r0) / 1e9;
            LocalCluster.existing(tools, b.base().resolve("restored"), 0).stop();
            b.say(String.format(
                    "snapshot.max_recovery_time %d s, pgbench -c 4 -j 2 for %.0f s: %d snapshots taken by recovery time",
                    maxSeconds, (System.nanoTime() - t0) / 1e9, taken.size()));
            b.say(String.format(
                    "worst-case recovery time estimated while loaded: at most %.1f s (%.2f of the bound)",
                    worst, worst / maxSeconds));
            b.say(String.format(
                    "restore to the latest point at the end: %.1f s, estimated %.1f s (%d MB of WAL since %s):"
                            + " %.2f of the bound; the estimate was %.2f of the real time",
                    actual,
                    before.total().toMillis() / 1000.0,
                    before.replayBytes() / 1_000_000,
                    before.snapshot(),
                    actual / maxSeconds,
                    before.total().toMillis() / 1000.0 / actual));
            b.say(String.format(
                    "  its lay-down %.1f s (estimated %.1f s), replay %.1f s (estimated %.1f s), the rest %.1f s"
                            + " (estimated %.1f s)",
                    o.timing().layDownMillis() / 1000.0,
                    before.layDown().toMillis() / 1000.0,
                    o.timing().replayMillis() / 1000.0,
                    before.replay().toMillis() / 1000.0,
                    (o.timing().totalMillis()
                                    - o.timing().layDownMillis()
                                    - o.timing().replayMillis())
                            / 1000.0,
                    before.overhead().toMillis() / 1000.0));
        }
    }
}
