package dev.pitr.cli;

import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(ErrorCode.SNAPSHOT_NOT_FOUND)
@Command(
        name = "pin",
        description = "Keep a snapshot however old it gets (retention never expires it); --undo lets"
                + " the policy decide again.",
        footer = {"Example:", "  pitr snapshot pin 20261122T144137Z-1a2b3c"})
final class SnapshotPinCommand implements Callable<Integer> {

    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The snapshot, as 'pitr snapshot list' shows it.")
    String id;

    @Option(names = "--undo", description = "Unpin.")
    boolean undo;

    @Override
    public Integer call() {
        if (!SnapshotId.isValid(id)) {
            throw new PitrException(
                    ErrorCode.SNAPSHOT_NOT_FOUND,
                    "'" + id + "' is not a snapshot id",
                    "list them with 'pitr snapshot list'");
        }
        try (Repository repo = Repository.open(snapshot.root.config(), false)) {
            SnapshotRecord s = repo.catalog()
                    .snapshot(new SnapshotId(id))
                    .orElseThrow(() -> new PitrException(
                            ErrorCode.SNAPSHOT_NOT_FOUND,
                            "no snapshot " + id + " in " + repo.catalog().describe(),
                            "list them with 'pitr snapshot list'"));
            if (s.status() != SnapshotRecord.Status.COMPLETE && s.status() != SnapshotRecord.Status.RUNNING) {
                throw new PitrException(
                        ErrorCode.SNAPSHOT_NOT_FOUND,
                        "snapshot " + id + " is " + s.status().name().toLowerCase(Locale.ROOT)
                                + " and can no longer be pinned",
                        "pin a complete snapshot");
            }
            repo.catalog()
                    .updateSnapshot(
                            s.withRetention(s.status(), undo ? RetentionState.RETAINED : RetentionState.PINNED));
        }
        spec.commandLine().getOut().println((undo ? "unpinned " : "pinned ") + id);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
