package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.wal.CaptureService;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(
        value = {
            ErrorCode.LEASE_HELD,
            ErrorCode.CHECK_FAILED,
            ErrorCode.WRONG_CLUSTER,
            ErrorCode.UNSUPPORTED_VERSION,
            ErrorCode.ARCHIVE_CONFLICT,
            ErrorCode.INTERRUPTED
        },
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
        name = "capture",
        description = "Stream WAL from the replication slot and ship every completed segment (runs until SIGTERM).",
        footer = {"Example:", "  pitr --config /etc/pitr/pitr.yaml wal capture"})
final class WalCaptureCommand implements Callable<Integer> {

    @ParentCommand
    WalCommand wal;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Config config = wal.root.config();
        try (Repository repo = Repository.open(config, false)) {
            CaptureService service = CaptureService.from(
                    config, repo, Clock.systemUTC(), spec.commandLine().getErr());
            Thread hook = new Thread(() -> {
                service.requestStop();
                try {
                    service.awaitStopped(Duration.ofMinutes(2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            service.run();
            if (service.lostLease().isPresent()) {
                throw service.lostLease().get();
            }
            return 0;
        }
    }
}
