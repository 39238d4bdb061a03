package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadBranchTest {

    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");

    @TempDir
    Path spool;

    @Test
    void waitsWhileACompleteSegmentIsStillToShip() throws Exception {
        Files.write(spool.resolve("000000010000000000000004"), new byte[16]);
        Files.write(spool.resolve("000000010000000000000005.partial"), new byte[16]);
        assertEquals(Optional.empty(), DeadBranch.setAside(spool, NOW));
        assertTrue(Files.exists(spool.resolve("000000010000000000000005.partial")), "nothing moved");
    }

    @Test
    void movesThePartialSegmentsAsideAndKeepsThem() throws Exception {
        Files.write(spool.resolve("000000010000000000000005.partial"), new byte[] {1, 2, 3});
        Files.write(spool.resolve("00000002.history"), new byte[] {9});
        DeadBranch.Moved m = DeadBranch.setAside(spool, NOW).orElseThrow();
        assertEquals(spool.resolve(".dead-branch-" + NOW.getEpochSecond()), m.dir());
        assertEquals(List.of("000000010000000000000005.partial"), m.names());
        assertEquals(3, Files.size(m.dir().resolve("000000010000000000000005.partial")), "kept, not deleted");
        assertTrue(Files.notExists(spool.resolve("000000010000000000000005.partial")));
        assertTrue(Files.exists(spool.resolve("00000002.history")), "only partial segments move");
    }
}
