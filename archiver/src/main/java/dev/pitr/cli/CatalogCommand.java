package dev.pitr.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "catalog",
        description = "Maintain the catalog.",
        subcommands = {CatalogRebuildCommand.class})
final class CatalogCommand {
    @ParentCommand
    PitrCommand root;
}
