package dev.pitr.cli;

import dev.pitr.config.Repository;
import dev.pitr.crypto.KeyRotation;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails
@Command(
        name = "rotate",
        description =
                "Rewrap every object's data key with the current key. Needs the old keys under encryption.retired_*; "
                        + "rewrites only the small envelopes, never an object body.",
        footer = {"Example:", "  pitr keys rotate"})
final class KeysRotateCommand implements Callable<Integer> {

    @ParentCommand
    KeysCommand keys;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Repository repo = Repository.open(keys.root.config(), false)) {
            new KeyRotation(repo).rotate(spec.commandLine().getOut());
            return 0;
        }
    }
}
