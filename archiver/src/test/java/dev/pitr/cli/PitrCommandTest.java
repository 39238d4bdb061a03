package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PitrCommandTest {

    @TempDir
    Path dir;

    @Test
    void onlyAPlainWalPushOrFetchGetsTheWalCommandsAlone() {
        for (String[] args : List.of(
                new String[] {"wal", "push", "pg_wal/000000010000000000000001"},
                new String[] {"--config", "a b.yaml", "wal", "fetch", "f", "p"},
                new String[] {"--config=x.yaml", "wal", "push", "p"},
                new String[] {"--config", "x.yaml", "--config", "y.yaml", "wal", "push"},
                new String[] {"wal", "fetch", "--bogus"})) {
            assertTrue(PitrCommand.namesWalTransfer(args), String.join(" ", args));
            assertEquals(
                    List.of("wal"),
                    List.copyOf(PitrCommand.commandLine(Map.of(), args)
                            .getSubcommands()
                            .keySet()));
        }
        for (String[] args : List.of(
                new String[] {},
                new String[] {"wal"},
                new String[] {"wal", "capture"},
                new String[] {"wal", "push", "--help"},
                new String[] {"wal", "fetch", "-h", "f", "p"},
                new String[] {"-V", "wal", "push", "p"},
                new String[] {"help", "wal", "push"},
                new String[] {"--config"},
                new String[] {"--configx", "wal", "push", "p"},
                new String[] {"--config", "wal", "push", "p"},
                new String[] {"status", "wal", "push"})) {
            assertFalse(PitrCommand.namesWalTransfer(args), String.join(" ", args));
            assertTrue(PitrCommand.commandLine(Map.of(), args).getSubcommands().containsKey("status"));
        }
    }

    @Test
    void theWalCommandsAloneAnswerAsTheWholeTree() throws Exception {
        Path config =
                Files.writeString(dir.resolve("it's here.yaml"), "storage:\n  path: " + dir.resolve("repo") + "\n");
        Path segment = Files.createDirectories(dir.resolve("pg_wal")).resolve("000000010000000000000001");
        Files.write(segment, new byte[100]);
        for (String[] args : List.of(
                new String[] {"wal", "push"},
                new String[] {"wal", "push", "a", "b"},
                new String[] {"wal", "push", "--bogus", "p"},
                new String[] {"wal", "fetch", "onlyone"},
                new String[] {"wal", "fetch", "--bogus", "f", "p"},
                new String[] {"--config", dir.resolve("missing.yaml").toString(), "wal", "push", segment.toString()},
                new String[] {"--config", config.toString(), "wal", "push", segment.toString()},
                new String[] {
                    "--config=" + config,
                    "wal",
                    "fetch",
                    "000000010000000000000009",
                    dir.resolve("out").toString()
                })) {
            assertTrue(PitrCommand.namesWalTransfer(args), String.join(" ", args));
            Cli.Run whole = Cli.run(PitrCommand.commandLine(Map.of()), args);
            Cli.Run alone = Cli.run(Map.of(), args);
            assertEquals(whole, alone, String.join(" ", args));
            assertTrue(whole.exitCode() != 0, whole::toString);
        }
    }
}
