package dev.pitr.cli;

import dev.pitr.config.Repository;
import dev.pitr.crypto.KeyRotation;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails
@Command(
        name = "check",
        description = "List every object whose data key is still wrapped by a key other than the current one.",
        footer = {"Example:", "  pitr keys check"})
final class KeysCheckCommand implements Callable<Integer> {

    @ParentCommand
    KeysCommand keys;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Repository repo = Repository.open(keys.root.config(), true)) {
            List<KeyRotation.Wrapped> old = new KeyRotation(repo).notWrappedByCurrentKey();
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Integer> byKey = new TreeMap<>();
            for (KeyRotation.Wrapped w : old) {
                out.println(w.objectKey() + "\t" + w.keyId());
                byKey.merge(w.keyId(), 1, Integer::sum);
            }
            String current =
                    repo.codec().keyring().current().map(k -> k.keyId()).orElse("none");
            out.println(old.size() + " objects not wrapped by the current key " + current
                    + (byKey.isEmpty() ? "" : ": " + byKey)
                    + (old.isEmpty() ? "" : "; run 'pitr keys rotate' with the old keys under encryption.retired_*"));
            out.flush();
            return 0;
        }
    }
}
