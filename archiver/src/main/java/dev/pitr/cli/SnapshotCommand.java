package dev.pitr.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "snapshot",
        description = "Take, list and pin base backups.",
        subcommands = {SnapshotCreateCommand.class, SnapshotListCommand.class, SnapshotPinCommand.class})
final class SnapshotCommand {
    @ParentCommand
    PitrCommand root;
}
