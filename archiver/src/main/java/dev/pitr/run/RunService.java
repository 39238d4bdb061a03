package dev.pitr.run;

import dev.pitr.backup.SnapshotService;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.catalog.LeaseHeldException;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.drill.DrillService;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.retention.ClusterRetention;
import dev.pitr.retention.Retention;
import dev.pitr.schedule.CronSchedule;
import dev.pitr.schedule.ScheduledJob;
import dev.pitr.schedule.Scheduler;
import dev.pitr.status.DashboardServer;
import dev.pitr.status.StatusService;
import dev.pitr.wal.CaptureService;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The long-running service {@code pitr run} is: WAL capture in the foreground, the scheduled snapshots (on {@code
 * snapshot.schedule}, and whenever the recovery time passes {@code snapshot.max_recovery_time}) and retention on a
 * scheduler thread, restore drills on {@code drill.schedule} on another, and the dashboard with {@code /metrics}. SIGTERM stops capture (which ships what it has
 * received) and lets a scheduled job in hand finish.
 */
public final class RunService {

    private static final Duration TICK = Duration.ofSeconds(15);

    private final Config config;
    private final Repository repo;
    private final Clock clock;
    private final PrintWriter log;
    private final CaptureService capture;
    private final Scheduler scheduler;

    /** Drills, on a thread of their own: a long one holds up no snapshot. */
    private final Scheduler drills;

    private RunService(
            Config config,
            Repository repo,
            Clock clock,
            PrintWriter log,
            List<ScheduledJob> jobs,
            List<ScheduledJob> drillJobs) {
        this.config = config;
        this.repo = repo;
        this.clock = clock;
        this.log = log;
        this.capture = CaptureService.from(config, repo, clock, log);
        this.scheduler = new Scheduler(jobs, TICK);
        this.drills = new Scheduler(drillJobs, TICK);
    }

    /**
     * The service as the configuration describes it: capture ({@code wal.*}), snapshots on {@code snapshot.schedule},
     * retention on {@code retention.schedule}, the dashboard on {@code dashboard.listen}. Each scheduled run is claimed
     * in the catalog, so two of these on one cluster never take the same snapshot twice.
     */
    public static RunService from(Config config, Repository repo, Clock clock, PrintWriter log) {
        String owner = OsUser.hostName() + "/" + ProcessHandle.current().pid();
        Consumer<String> say = line -> say(log, line);
        SnapshotService snapshots = SnapshotService.from(config, repo, clock, log);
        List<ScheduledJob> jobs = new java.util.ArrayList<>(List.of(
                ScheduledJob.snapshots(
                        CronSchedule.parse(config.require(Key.SNAPSHOT_SCHEDULE), config.zone()),
                        repo.catalog(),
                        due -> snapshots.create("scheduled", SnapshotService.Mode.SCHEDULED),
                        owner,
                        clock,
                        say),
                new ScheduledJob(
                                ClusterRetention.JOB,
                                CronSchedule.parse(config.require(Key.RETENTION_SCHEDULE), config.zone()),
                                repo.catalog(),
                                due -> false,
                                due -> new Retention(
                                                repo.catalog(),
                                                repo.storage(),
                                                ClusterRetention.resolve(
                                                        repo.catalog(),
                                                        config.configuredRetentionPolicy(),
                                                        config.file().toString()),
                                                clock,
                                                line -> say(log, "retention: " + line))
                                        .apply(false),
                                owner,
                                clock,
                                say)
                        // one run a day between this and the retention function, by a runner whose policy is the
                        // cluster's: worked out (and recorded when none is) before the day is claimed
                        .claimingSlot(ClusterRetention::slot)
                        .unless(() -> {
                            try {
                                ClusterRetention.resolve(
                                        repo.catalog(),
                                        config.configuredRetentionPolicy(),
                                        config.file().toString());
                                return java.util.Optional.empty();
                            } catch (PitrException e) {
                                return java.util.Optional.of(e.getMessage() + " HINT: " + e.hint());
                            }
                        })));
        StatusService.maxRecoveryTime(config)
                .ifPresent(max -> jobs.add(ScheduledJob.byRecoveryTime(
                        max,
                        repo.catalog(),
                        due -> snapshots.create("recovery-time", SnapshotService.Mode.SCHEDULED),
                        owner,
                        clock,
                        say)));
        List<ScheduledJob> drillJobs = config.get(Key.DRILL_SCHEDULE)
                .map(cron -> List.of(new ScheduledJob(
                        "drill",
                        CronSchedule.parse(cron, config.zone()),
                        repo.catalog(),
                        due -> false,
                        due -> {
                            DrillRecord d =
                                    new DrillService(config, repo, PgTools.from(config), clock, log).drill(null);
                            if (!d.passed()) {
                                throw new PitrException(ErrorCode.DRILL_FAILED, d.cause(), "see 'pitr status'");
                            }
                        },
                        owner,
                        clock,
                        say)))
                .orElse(List.of());
        return new RunService(config, repo, clock, log, jobs, drillJobs);
    }

    /**
     * Runs until SIGTERM, or until capture ends on its own.
     *
     * @throws LeaseHeldException when capture lost the shipping lease to another process
     */
    public void run() throws InterruptedException {
        StatusService status = StatusService.from(config, repo.catalog(), clock);
        DashboardServer.Access access = new DashboardServer.Access(
                config.get(Key.DASHBOARD_TOKEN).orElse(null),
                config.get(Key.DASHBOARD_USER).orElse(null),
                config.get(Key.DASHBOARD_PASSWORD).orElse(null));
        String listen = config.require(Key.DASHBOARD_LISTEN);
        try (DashboardServer dashboard = DashboardServer.start(listen, status::status, access, clock)) {
            say(
                    log,
                    "dashboard on http://" + listen.replaceAll(":\\d+$", "") + ":" + dashboard.port()
                            + "/ (metrics at /metrics)");
            Thread hook = new Thread(() -> {
                // no scheduled job starts once SIGTERM came; one in hand may finish
                scheduler.requestStop();
                drills.requestStop();
                capture.requestStop();
                try {
                    capture.awaitStopped(Duration.ofMinutes(2));
                    scheduler.awaitStopped(Duration.ofMinutes(5));
                    drills.awaitStopped(Duration.ofMinutes(1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            scheduler.start();
            drills.start();
            capture.run();
            scheduler.requestStop();
            drills.requestStop();
            scheduler.awaitStopped(Duration.ofDays(1));
            drills.awaitStopped(Duration.ofDays(1));
            if (capture.lostLease().isPresent()) {
                throw capture.lostLease().get();
            }
        }
    }

    /** Lines from the capture thread and the scheduler's, whole. */
    private static void say(PrintWriter log, String line) {
        synchronized (log) {
            log.println(line);
            log.flush();
        }
    }
}
