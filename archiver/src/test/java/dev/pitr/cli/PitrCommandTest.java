package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PitrCommandTest {

    @TempDir
    Path dir;

    @Test
    void wordsThatNameOneCommandGetThatCommandAlone() {
        for (String[] args : List.of(
                new String[] {"wal", "push", "pg_wal/000000010000000000000001"},
                new String[] {"--config", "a b.yaml", "wal", "fetch", "f", "p"},
                new String[] {"--config=x.yaml", "wal", "push", "p"},
                new String[] {"--config", "x.yaml", "--config", "y.yaml", "wal", "push"},
                new String[] {"wal", "fetch", "--bogus"},
                new String[] {"wal"},
                new String[] {"wal", "nonsense"})) {
            assertEquals(Optional.of(WalCommand.class), PitrCommand.named(args), String.join(" ", args));
            assertEquals(
                    List.of("wal"),
                    List.copyOf(PitrCommand.commandLine(Map.of(), args)
                            .getSubcommands()
                            .keySet()));
        }
        assertEquals(
                Optional.of(RestoreWindowCommand.class), PitrCommand.named(new String[] {"restore-window", "--json"}));
        assertEquals(
                Optional.of(SnapshotCommand.class),
                PitrCommand.named(new String[] {"--config", "c.yaml", "snapshot", "create"}));
        for (String[] args : List.of(
                new String[] {},
                new String[] {"wal", "push", "--help"},
                new String[] {"wal", "fetch", "-h", "f", "p"},
                new String[] {"-V", "wal", "push", "p"},
                new String[] {"snapshot", "create", "--version"},
                new String[] {"help", "wal", "push"},
                new String[] {"--config"},
                new String[] {"--configx", "wal", "push", "p"},
                new String[] {"--config", "wal", "push", "p"},
                new String[] {"--", "wal", "push", "p"},
                new String[] {"@args", "wal", "push"},
                new String[] {"snapshots", "list"},
                new String[] {"Status"},
                new String[] {"--config", "status", "wal", "push", "p"},
                new String[] {"--config=wal", "wal", "push", "p"},
                new String[] {"--config", "help", "wal", "push", "p"},
                new String[] {"--config", "@file", "wal", "push", "p"},
                new String[] {"wal", "push", "@file"})) {
            assertEquals(Optional.empty(), PitrCommand.named(args), String.join(" ", args));
            assertTrue(PitrCommand.commandLine(Map.of(), args).getSubcommands().containsKey("status"));
        }
    }

    /** Every command line, as the words after {@code pitr}, but the root's. */
    private static List<List<String>> commands(CommandLine cl, List<String> path) {
        List<List<String>> all = new ArrayList<>();
        cl.getSubcommands().forEach((name, sub) -> {
            List<String> p = new ArrayList<>(path);
            p.add(name);
            all.add(p);
            all.addAll(commands(sub, p));
        });
        return all;
    }

    @Test
    void aCommandAloneAnswersAsTheWholeTree() throws Exception {
        Path config =
                Files.writeString(dir.resolve("it's here.yaml"), "storage:\n  path: " + dir.resolve("repo") + "\n");
        Path segment = Files.createDirectories(dir.resolve("pg_wal")).resolve("000000010000000000000001");
        Files.write(segment, new byte[100]);
        List<String[]> cases = new ArrayList<>(List.of(
                new String[] {"wal", "push"},
                new String[] {"wal", "push", "a", "b"},
                new String[] {"wal", "fetch", "onlyone"},
                new String[] {"wal", "nonsense"},
                new String[] {"snapshot"},
                new String[] {"snapshot", "creat"},
                new String[] {"snapshot", "--config", "status", "create"},
                new String[] {"wal", "push", "--config"},
                new String[] {"--config", dir.resolve("missing.yaml").toString(), "wal", "push", segment.toString()},
                new String[] {"--config", config.toString(), "wal", "push", segment.toString()},
                new String[] {"--config", config.toString(), "restore-window"},
                new String[] {
                    "--config=" + config,
                    "wal",
                    "fetch",
                    "000000010000000000000009",
                    dir.resolve("out").toString()
                }));
        // an option no command knows, on every command: refused before anything runs
        for (List<String> path : commands(PitrCommand.commandLine(Map.of()), List.of())) {
            cases.add(Stream.concat(path.stream(), Stream.of("--bogus")).toArray(String[]::new));
        }
        for (String[] args : cases) {
            // help lists the whole tree: it gets the whole tree
            assertEquals(!args[0].equals("help"), PitrCommand.named(args).isPresent(), String.join(" ", args));
        }
        // and words the whole tree answers: a command's name as the value of --config
        cases.add(new String[] {"--config", "status", "wal", "push", segment.toString()});
        cases.add(new String[] {"--config=restore", "wal", "fetch", "f", "p"});
        for (String[] args : cases) {
            Cli.Run whole = Cli.run(PitrCommand.commandLine(Map.of()), args);
            Cli.Run alone = Cli.run(Map.of(), args);
            assertEquals(whole, alone, String.join(" ", args));
        }
    }
}
