package dev.pitr.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pitr help [COMMAND...]}: the same help as {@code pitr COMMAND... --help}, at any depth. */
@Command(
        name = "help",
        description = "Show the help of a command, e.g. 'pitr help snapshot create'.",
        footer = {"Example:", "  pitr help restore"})
final class HelpCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, and its subcommand if it has them.")
    List<String> words = new ArrayList<>();

    @Override
    public void run() {
        CommandLine cl = spec.root().commandLine();
        for (String word : words) {
            CommandLine sub = cl.getSubcommands().get(word);
            if (sub == null) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "'" + cl.getCommandSpec().qualifiedName() + "' has no command '" + word + "'");
            }
            cl = sub;
        }
        cl.usage(spec.commandLine().getOut(), spec.commandLine().getColorScheme());
    }
}
