package dev.pitr.cli;

import dev.pitr.backup.SnapshotService;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.retention.Retention;
import dev.pitr.schedule.CronSchedule;
import dev.pitr.schedule.ScheduledJob;
import dev.pitr.status.DashboardServer;
import dev.pitr.status.StatusService;
import dev.pitr.wal.CaptureService;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(
        value = {
            ErrorCode.LEASE_HELD,
            ErrorCode.CHECK_FAILED,
            ErrorCode.WRONG_CLUSTER,
            ErrorCode.ARCHIVE_CONFLICT,
            ErrorCode.BACKUP_FAILED,
            ErrorCode.INTERRUPTED
        },
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
        name = "run",
        description = "The long-running service: WAL capture, scheduled snapshots"
                + " (snapshot.schedule), retention (retention.schedule) and the dashboard with /metrics (dashboard.listen)."
                + " Runs until SIGTERM.",
        footer = {"Example:", "  pitr --config /etc/pitr/pitr.yaml run"})
final class RunCommand implements Callable<Integer> {

    private static final Duration TICK = Duration.ofSeconds(15);

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = root.config();
        PrintWriter err = spec.commandLine().getErr();
        Clock clock = Clock.systemUTC();
        String owner = InetAddress.getLocalHost().getHostName() + "/"
                + ProcessHandle.current().pid();
        try (Repository repo = Repository.open(config, false)) {
            CaptureService capture = CaptureService.from(config, repo, clock, err);
            SnapshotService snapshots = SnapshotService.from(config, repo, clock, err);
            List<ScheduledJob> jobs = List.of(
                    ScheduledJob.snapshots(
                            CronSchedule.parse(config.require(Key.SNAPSHOT_SCHEDULE), config.zone()),
                            repo.catalog(),
                            due -> snapshots.create("scheduled"),
                            owner,
                            clock,
                            line -> log(err, line)),
                    new ScheduledJob(
                            "retention",
                            CronSchedule.parse(config.require(Key.RETENTION_SCHEDULE), config.zone()),
                            repo.catalog(),
                            due -> false,
                            due -> new Retention(
                                            repo.catalog(),
                                            repo.storage(),
                                            config.retentionPolicy(),
                                            clock,
                                            line -> log(err, "retention: " + line))
                                    .apply(false),
                            owner,
                            clock,
                            line -> log(err, line)));
            StatusService status = StatusService.from(config, repo.catalog(), clock);
            DashboardServer.Access access = new DashboardServer.Access(
                    config.get(Key.DASHBOARD_TOKEN).orElse(null),
                    config.get(Key.DASHBOARD_USER).orElse(null),
                    config.get(Key.DASHBOARD_PASSWORD).orElse(null));
            CountDownLatch stop = new CountDownLatch(1);
            try (DashboardServer dashboard =
                    DashboardServer.start(config.require(Key.DASHBOARD_LISTEN), status::status, access, clock)) {
                log(
                        err,
                        "dashboard on http://"
                                + config.require(Key.DASHBOARD_LISTEN).replaceAll(":\\d+$", "") + ":" + dashboard.port()
                                + "/ (metrics at /metrics)");
                Thread scheduler = new Thread(
                        () -> {
                            while (stop.getCount() > 0) {
                                for (ScheduledJob j : jobs) {
                                    j.tick();
                                }
                                try {
                                    stop.await(TICK.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        },
                        "pitr-scheduler");
                Thread hook = new Thread(() -> {
                    stop.countDown();
                    capture.requestStop();
                    try {
                        capture.awaitStopped(Duration.ofMinutes(2));
                        scheduler.join(Duration.ofMinutes(5).toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                Runtime.getRuntime().addShutdownHook(hook);
                scheduler.start();
                capture.run();
                stop.countDown();
                scheduler.join();
                if (capture.lostLease().isPresent()) {
                    throw capture.lostLease().get();
                }
            }
            return 0;
        }
    }

    private static void log(PrintWriter err, String line) {
        synchronized (err) {
            err.println(line);
            err.flush();
        }
    }
}
