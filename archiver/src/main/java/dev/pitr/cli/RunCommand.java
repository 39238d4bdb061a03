package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.run.RunService;
import java.time.Clock;
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

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Config config = root.config();
        try (Repository repo = Repository.open(config, false)) {
            RunService.from(config, repo, Clock.systemUTC(), spec.commandLine().getErr())
                    .run();
            return 0;
        }
    }
}
