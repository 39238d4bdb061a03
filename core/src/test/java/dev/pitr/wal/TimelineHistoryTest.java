package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TimelineHistoryTest {

    @Test
    void parsesAHistoryFileAsPostgresWritesIt() {
        String text = """
        1\t0/3000158\tno recovery target specified

        2\t0/5000000\tbefore 2025-11-23 14:41:37+00
        """;
        TimelineHistory h = TimelineHistory.parse(TimelineId.of(3), text);
        assertEquals(2, h.entries().size());
        assertEquals(Lsn.parse("0/3000158"), h.entries().get(0).switchpoint());
        assertEquals("no recovery target specified", h.entries().get(0).reason());
        assertEquals(TimelineId.of(1), h.timelineAt(Lsn.parse("0/3000157")));
        assertEquals(TimelineId.of(2), h.timelineAt(Lsn.parse("0/3000158")));
        assertEquals(TimelineId.of(3), h.timelineAt(Lsn.parse("0/5000000")));
        assertTrue(TimelineHistory.isHistoryFileName("00000003.history"));
        assertEquals("00000003.history", TimelineHistory.fileName(TimelineId.of(3)));
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> TimelineHistory.parse(TimelineId.of(2), "1\n"));
        assertThrows(RuntimeException.class, () -> TimelineHistory.parse(TimelineId.of(2), "1\tx/y\tr\n"));
        assertThrows(IllegalArgumentException.class, () -> TimelineHistory.parse(TimelineId.of(2), "2\t0/1\tr\n"));
    }
}
