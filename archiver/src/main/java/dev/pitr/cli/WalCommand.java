package dev.pitr.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "wal",
        description = "Capture, ship and fetch WAL.",
        subcommands = {WalCaptureCommand.class, WalSyncCommand.class, WalPushCommand.class, WalFetchCommand.class})
final class WalCommand {
    @ParentCommand
    PitrCommand root;
}
