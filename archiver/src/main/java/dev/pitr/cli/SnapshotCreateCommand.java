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
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
        name = "create",
        description = {
            "Take a base backup into storage now.",
            "A full stores every file. An incremental (--incremental) stores only what changed since the newest"
                    + " complete snapshot of the timeline: PostgreSQL's own incremental backup on 17 and later with"
                    + " summarize_wal = on, or else, with data checksums or wal_log_hints = on, each relation file's"
                    + " changed pages and every other file whole. It is a full when no snapshot fits as its parent,"
                    + " and says why."
        },
        footer = {"Examples:", "  pitr snapshot create --label before-upgrade", "  pitr snapshot create --incremental"})
final class SnapshotCreateCommand implements Callable<Integer> {

    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Option(names = "--label", paramLabel = "LABEL", description = "A label kept with the snapshot.")
    String label;

    @picocli.CommandLine.ArgGroup(exclusive = true)
    Kind kind;

    /** --full or --incremental; a full when neither is given. */
    static final class Kind {
        @Option(names = "--full", description = "Store every file whole (the default).")
        boolean full;

        @Option(
                names = "--incremental",
                description = "Store only what changed since the newest complete snapshot (at most"
                        + " snapshot.max_chain incrementals on one full).")
        boolean incremental;
    }

    @Override
    public Integer call() {
        Config config = snapshot.root.config();
        try (Repository repo = Repository.open(config, false)) {
            SnapshotRecord s = SnapshotService.from(
                            config, repo, Clock.systemUTC(), spec.commandLine().getErr())
                    .create(
                            label,
                            kind != null && kind.incremental
                                    ? SnapshotService.Mode.INCREMENTAL
                                    : SnapshotService.Mode.FULL,
                            total -> Progress.of(
                                    "snapshot", total, false, spec.commandLine().getErr()));
            spec.commandLine().getOut().println(s.id());
            if (s.lineage().incremental()) {
                spec.commandLine()
                        .getErr()
                        .println("incremental on " + s.lineage().parent() + ": " + s.plainSize() + " bytes ("
                                + s.storedSize() + " stored)");
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
