package dev.pitr.cli;

import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.wal.WalShipper;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Fails(
        value = {ErrorCode.WRONG_CLUSTER, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.ARCHIVE_CONFLICT},
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.LOCAL_FILES})
@Command(
        name = "push",
        description =
                "archive_command mode: archive_command = 'test -f pg_wal/.pitr-pushed/%%f && rm -f pg_wal/.pitr-pushed/%%f || pitr wal push %%p'."
                        + " Ships %%p, then the other files PostgreSQL has marked ready, leaving a receipt for each that the command's first half answers."
                        + " Backup history files (.backup) and a promoted standby's .partial are kept as they are.",
        footer = {"Example (what PostgreSQL runs for one segment):", "  pitr wal push pg_wal/000000010000000000000003"})
final class WalPushCommand implements Callable<Integer> {

    /** Files pushed ahead per call at most, so that one call stays short after a long outage. */
    private static final int PUSH_AHEAD = 256;

    @ParentCommand
    WalCommand wal;

    @Parameters(index = "0", paramLabel = "PATH", description = "The file PostgreSQL asks to archive (%%p).")
    Path path;

    @Override
    public Integer call() {
        try (Repository repo = Repository.open(wal.root.config(), false)) {
            new WalShipper(repo, Clock.systemUTC(), wal.root.config().requireInt(Key.WAL_SHIP_PARALLELISM))
                    .push(path, PUSH_AHEAD);
            return 0;
        }
    }
}
