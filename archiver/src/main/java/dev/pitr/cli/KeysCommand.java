package dev.pitr.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "keys",
        description = "Make, check and rotate encryption keys.",
        subcommands = {KeysGenerateCommand.class, KeysCheckCommand.class, KeysRotateCommand.class})
final class KeysCommand {
    @ParentCommand
    PitrCommand root;
}
