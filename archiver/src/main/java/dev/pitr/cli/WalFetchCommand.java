package dev.pitr.cli;

import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.WalFetcher;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * restore_command mode. Exit 1 means "not in the archive" and ends recovery's archive; every other failure exits
 * above 125 so that PostgreSQL aborts recovery instead of finishing early.
 */
@Fails(
        value = {ErrorCode.NOT_IN_ARCHIVE, ErrorCode.FETCH_ABORTED, ErrorCode.BAD_TARGET},
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.LOCAL_FILES})
@Command(
        name = "fetch",
        description = "restore_command mode: restore_command = 'pitr wal fetch %%f %%p'.",
        footer = {"Example:", "  restore_command = 'pitr --config /etc/pitr/pitr.yaml wal fetch %%f %%p'"})
final class WalFetchCommand implements Callable<Integer>, PitrCommand.ExitCodeOverride {

    @ParentCommand
    WalCommand wal;

    @Option(
            names = "--absent-exit-code",
            paramLabel = "N",
            description = "Exit code for a file the archive does not hold"
                    + " (default: ${DEFAULT-VALUE}); the restore_command pitr restore writes asks for another, so that a JVM that"
                    + " cannot start (exit 1) never passes for the end of the archive.")
    int absentExitCode = ErrorCode.NOT_IN_ARCHIVE.exitCode();

    @Parameters(index = "0", paramLabel = "NAME", description = "The file PostgreSQL wants (%%f).")
    String name;

    @Parameters(index = "1", paramLabel = "DEST", description = "Where to put it (%%p).")
    Path dest;

    @Override
    public Integer call() {
        if (absentExitCode < 1 || absentExitCode > 125) {
            throw new PitrException(
                    ErrorCode.USAGE,
                    "--absent-exit-code must be 1 to 125, got " + absentExitCode,
                    "PostgreSQL reads only those as the end of the archive; see 'pitr wal fetch --help'");
        }
        try (Repository repo = Repository.open(wal.root.config(), true)) {
            new WalFetcher(repo).fetch(name, dest);
            return 0;
        }
    }

    @Override
    public int exitCode(ErrorCode code) {
        if (code == ErrorCode.NOT_IN_ARCHIVE) {
            return absentExitCode;
        }
        return code.exitCode() > 125 ? code.exitCode() : ErrorCode.FETCH_ABORTED.exitCode();
    }
}
