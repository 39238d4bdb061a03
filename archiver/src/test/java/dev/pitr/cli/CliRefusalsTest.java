package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input that needs no server: each gets its own exit code and a hint, never a stack trace or a side effect. */
class CliRefusalsTest {

    @TempDir
    Path dir;

    Path config;

    @BeforeEach
    void config() throws IOException {
        config = Files.writeString(dir.resolve("pitr.yaml"), "primary:\n  host: 127.0.0.1\nstorage:\n  path: repo\n");
    }

    private Cli.Run run(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = config.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return Cli.run(Map.of(), all);
    }

    private static void assertRefused(Cli.Run r, ErrorCode code) {
        assertEquals(code.exitCode(), r.exitCode(), r::toString);
        assertTrue(r.err().contains("HINT:"), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
    }

    @Test
    void aSnapshotIdThatIsAPathIsNotASnapshot() {
        Cli.Run r = run("snapshot", "pin", "../x");
        assertRefused(r, ErrorCode.SNAPSHOT_NOT_FOUND);
        assertTrue(r.err().contains("'../x' is not a snapshot id"), r::toString);
    }

    @Test
    void readingCommandsCreateNoCatalog() {
        for (String[] cmd : new String[][] {{"restore-window"}, {"status"}, {"snapshot", "list"}}) {
            Cli.Run r = run(cmd);
            assertRefused(r, ErrorCode.REPOSITORY_NOT_FOUND);
            assertFalse(Files.exists(dir.resolve("catalog.db")), String.join(" ", cmd) + " created a catalog");
        }
    }

    @Test
    void walPushTakesOnlyTheFilesPostgresArchives() throws IOException {
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Cli.Run r = run(
                "wal",
                "push",
                Files.writeString(pgWal.resolve("000000010000000000000003.tmp"), "x")
                        .toString());
        assertRefused(r, ErrorCode.USAGE);
        assertTrue(r.err().contains("neither a complete WAL segment nor a timeline history file"), r::toString);
        r = run(
                "wal",
                "push",
                Files.writeString(pgWal.resolve("000000010000000000000003.partial"), "x")
                        .toString());
        assertRefused(r, ErrorCode.USAGE);
        assertTrue(r.err().contains("not a segment PostgreSQL renamed at a promotion"), r::toString);
        r = run(
                "wal",
                "push",
                Files.write(pgWal.resolve("000000010000000000000003"), new byte[8192])
                        .toString());
        assertRefused(r, ErrorCode.USAGE);
        assertTrue(r.err().contains("is 8192 bytes, not a complete WAL segment"), r::toString);
    }

    @Test
    void aDayThatDoesNotExistIsAMalformedTarget() {
        Cli.Run r = run("restore", "--to", "2026-02-30 12:00:00", "--dry-run");
        assertRefused(r, ErrorCode.BAD_TARGET);
    }
}
