package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** archive_command and restore_command modes, and the failures each must report, against real WAL. */
class WalFetchIT {

    static ArchiveFixture fx;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new ArchiveFixture("fetch");
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
        fx.switchAndAwaitArchived();
        fx.stopCapture();
    }

    @AfterAll
    static void tearDown() throws Exception {
        fx.close();
    }

    private static SegmentRecord someSegment() {
        try (SqliteCatalog c = SqliteCatalog.openReadOnly(fx.base.resolve("catalog.db"))) {
            return c.allSegments().get(0);
        }
    }

    @Test
    void fetchReturnsTheExactBytesAndPushIsIdempotent() throws Exception {
        SegmentRecord seg = someSegment();
        Path dest = fx.base.resolve("fetched-" + seg.name());
        fx.ok("wal", "fetch", seg.name().fileName(), dest.toString());
        assertEquals(seg.plainSize(), Files.size(dest));
        // pushing the same bytes again is accepted; the archive is not rewritten
        Path again = fx.base.resolve("push").resolve(seg.name().fileName());
        Files.createDirectories(again.getParent());
        Files.copy(dest, again);
        fx.ok("wal", "push", again.toString());
        byte[] flipped = Files.readAllBytes(again);
        flipped[100] ^= 1;
        Files.write(again, flipped);
        Cli.Run r = fx.cli("wal", "push", again.toString());
        assertEquals(11, r.exitCode(), r.toString());
        Path back = fx.base.resolve("back");
        fx.ok("wal", "fetch", seg.name().fileName(), back.toString());
        assertArrayEquals(Files.readAllBytes(dest), Files.readAllBytes(back));
    }

    @Test
    void aMissingSegmentExitsOneSoRecoveryEndsTheArchive() {
        Path dest = fx.base.resolve("never");
        Cli.Run r = fx.cli("wal", "fetch", "0000000100000000000000FE", dest.toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertFalse(Files.exists(dest));
    }

    @Test
    void aCorruptObjectFailsAboveOneTwentyFiveAndWritesNothing() throws Exception {
        // corrupt a copy of the repository, never the shared one
        Path copy = fx.base.resolve("corrupt");
        Files.createDirectories(copy);
        new ProcessBuilder(
                        "cp",
                        "-a",
                        fx.base.resolve("repo").toString(),
                        fx.base.resolve("catalog.db").toString(),
                        copy.toString())
                .inheritIO()
                .start()
                .waitFor();
        SegmentRecord seg = someSegment();
        Path obj = copy.resolve("repo").resolve(seg.storageKey());
        byte[] b = Files.readAllBytes(obj);
        b[b.length / 2] ^= 0x5A;
        Files.write(obj, b);
        Path cfg = copy.resolve("pitr.yaml");
        Files.writeString(cfg, "storage:\n  path: repo\n");
        Path dest = copy.resolve("out");
        Cli.Run r = Cli.run(
                Map.of(), "--config", cfg.toString(), "wal", "fetch", seg.name().fileName(), dest.toString());
        assertEquals(142, r.exitCode(), r.toString());
        assertTrue(r.err().contains("HINT:"), r.toString());
        assertFalse(Files.exists(dest));
        try (var s = Files.list(copy)) {
            assertEquals(
                    List.of("catalog.db", "pitr.yaml", "repo"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aMissingConfigKeyNamesTheKeyAndItsVariable() throws Exception {
        Path cfg = fx.base.resolve("no-storage.yaml");
        Files.writeString(cfg, "primary:\n  host: 127.0.0.1\n");
        Cli.Run r = Cli.run(Map.of(), "--config", cfg.toString(), "snapshot", "list");
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.err().contains("storage.path") && r.err().contains("PITR_STORAGE_PATH"), r.toString());
        // restore_command never reports a configuration problem as "end of archive"
        Cli.Run f = Cli.run(Map.of(), "--config", cfg.toString(), "wal", "fetch", "000000010000000000000001", "x");
        assertEquals(146, f.exitCode(), f.toString());
    }

    @Test
    void anUnreachablePrimaryIsReportedWithAHint() throws Exception {
        Cli.Run r =
                Cli.run(Map.of("PITR_PRIMARY_PORT", "1"), "--config", fx.configFile.toString(), "snapshot", "create");
        assertEquals(8, r.exitCode(), r.toString());
        assertTrue(r.err().contains("HINT:") && r.err().contains("primary.port"), r.toString());
        Cli.Run c = Cli.run(Map.of("PITR_PRIMARY_PORT", "1"), "--config", fx.configFile.toString(), "check");
        assertEquals(8, c.exitCode(), c.toString());
    }
}
