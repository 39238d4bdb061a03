package dev.pitr.cli;

import dev.pitr.config.RepositorySetup;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.LOCAL_FILES})
@Command(
        name = "init",
        description =
                "Verify that the bucket and table (or local directory and catalog) exist; --create makes missing ones.",
        footer = {"Example:", "  pitr init --create"})
final class InitCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--create", description = "Create a missing bucket or table (local and dev setups).")
    boolean create;

    @Override
    public Integer call() {
        RepositorySetup.ensure(root.config(), create).forEach(spec.commandLine().getOut()::println);
        return 0;
    }
}
