package dev.pitr.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "snapshot",
    description = "Take and list base backups.",
    subcommands = {SnapshotCreateCommand.class, SnapshotListCommand.class})
final class SnapshotCommand {
  @ParentCommand PitrCommand root;
}
