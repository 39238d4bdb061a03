package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolRoomTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path spool;

    private final TestClock clock = new TestClock("2026-12-06T10:00:00Z");
    private final List<String> log = new ArrayList<>();
    private long free;

    private SpoolRoom room() {
        return new SpoolRoom(spool, "pitr_slot", dir -> free, () -> "812 MiB", clock, log::add);
    }

    @Test
    void aFullSpoolIsReportedOnceAMinuteAndItsEndOnce() {
        SpoolRoom r = room();
        free = 10 * MIB;
        assertFalse(r.hasRoom(16 * MIB));
        assertEquals(1, log.size());
        assertTrue(log.get(0).startsWith("SPOOL FULL: "), log.toString());
        assertTrue(log.get(0).contains("the slot pitr_slot holds 812 MiB"), log.toString());
        clock.advance(Duration.ofSeconds(59));
        assertFalse(r.hasRoom(16 * MIB));
        assertEquals(1, log.size(), "not again within the minute");
        clock.advance(Duration.ofSeconds(1));
        assertFalse(r.hasRoom(16 * MIB));
        assertEquals(2, log.size());
        free = 16 * MIB;
        clock.advance(Duration.ofSeconds(40));
        assertTrue(r.hasRoom(16 * MIB));
        assertEquals(
                "the spool has room again (16 MiB free) after 100 s: receiving WAL from the slot resumes where"
                        + " it stopped",
                log.get(2));
        assertTrue(r.hasRoom(16 * MIB));
        assertEquals(3, log.size());
    }

    @Test
    void anUnknownSegmentSizeCountsAsSixteenMebibytes() {
        free = 16 * MIB - 1;
        assertFalse(room().hasRoom(0));
        free = 16 * MIB;
        assertTrue(room().hasRoom(0));
    }
}
