package dev.pitr.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "retention",
        description = "Expire snapshots and WAL the retention policy no longer keeps.",
        subcommands = {RetentionApplyCommand.class, RetentionSetCommand.class})
final class RetentionCommand {
    @ParentCommand
    PitrCommand root;
}
