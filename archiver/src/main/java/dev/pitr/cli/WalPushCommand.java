package dev.pitr.cli;

import dev.pitr.config.Repository;
import dev.pitr.wal.WalShipper;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "push", description = "archive_command mode: archive_command = 'pitr wal push %p'.")
final class WalPushCommand implements Callable<Integer> {

  @ParentCommand WalCommand wal;

  @Parameters(index = "0", paramLabel = "PATH", description = "The file PostgreSQL asks to archive (%p).")
  Path path;

  @Override
  public Integer call() {
    try (Repository repo = Repository.open(wal.root.config(), false)) {
      new WalShipper(repo, Clock.systemUTC()).ship(path);
      return 0;
    }
  }
}
