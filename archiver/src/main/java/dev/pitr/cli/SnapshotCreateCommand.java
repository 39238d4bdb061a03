package dev.pitr.cli;

import dev.pitr.backup.SnapshotService;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.status.Progress;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(
        value = {ErrorCode.BACKUP_FAILED, ErrorCode.INTERRUPTED},
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY})
@Command(
        name = "create",
        description = "Take a base backup into storage now.",
        footer = {"Example:", "  pitr snapshot create --label before-upgrade"})
final class SnapshotCreateCommand implements Callable<Integer> {

    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Option(names = "--label", paramLabel = "LABEL", description = "A label kept with the snapshot.")
    String label;

    @Override
    public Integer call() {
        Config config = snapshot.root.config();
        try (Repository repo = Repository.open(config, false)) {
            SnapshotRecord s = SnapshotService.from(
                            config, repo, Clock.systemUTC(), spec.commandLine().getErr())
                    .create(
                            label,
                            total -> Progress.forTerminal(
                                    "snapshot", total, false, spec.commandLine().getErr()));
            spec.commandLine().getOut().println(s.id());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
