package dev.pitr.cli;

import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.wal.WalFetcher;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * restore_command mode. Exit 1 means "not in the archive" and ends recovery's archive; every other failure exits
 * above 125 so that PostgreSQL aborts recovery instead of finishing early.
 */
@Fails(value = {ErrorCode.NOT_IN_ARCHIVE, ErrorCode.FETCH_ABORTED, ErrorCode.BAD_TARGET}, uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.LOCAL_FILES})
@Command(
    name = "fetch", description = "restore_command mode: restore_command = 'pitr wal fetch %%f %%p'.",
    footer = {"Example:", "  restore_command = 'pitr --config /etc/pitr/pitr.yaml wal fetch %%f %%p'"})
final class WalFetchCommand implements Callable<Integer>, PitrCommand.ExitCodeOverride {

  @ParentCommand WalCommand wal;

  @Parameters(index = "0", paramLabel = "NAME", description = "The file PostgreSQL wants (%%f).")
  String name;

  @Parameters(index = "1", paramLabel = "DEST", description = "Where to put it (%%p).")
  Path dest;

  @Override
  public Integer call() {
    try (Repository repo = Repository.open(wal.root.config(), true)) {
      new WalFetcher(repo).fetch(name, dest);
      return 0;
    }
  }

  @Override
  public int exitCode(ErrorCode code) {
    return code == ErrorCode.NOT_IN_ARCHIVE || code.exitCode() > 125 ? code.exitCode() : ErrorCode.FETCH_ABORTED.exitCode();
  }
}
