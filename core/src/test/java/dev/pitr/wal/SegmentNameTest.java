package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SegmentNameTest {

    private static final long MB16 = 16L << 20;

    @Test
    void roundTripsWithDefaultSegmentSize() {
        SegmentName s = SegmentName.parse("000000010000000200000003", MB16);
        assertEquals(1, s.timeline().value());
        assertEquals(2 * 256 + 3, s.segno());
        assertEquals("000000010000000200000003", s.fileName());
        assertEquals(Lsn.parse("2/3000000"), s.startLsn());
        assertEquals(Lsn.parse("2/4000000"), s.endLsn());
    }

    @Test
    void usesTheServersSegmentSizeNotAnAssumedOne() {
        long mb64 = 64L << 20;
        SegmentName s = SegmentName.containing(TimelineId.of(2), Lsn.parse("1/48000000"), mb64);
        assertEquals("000000020000000100000012", s.fileName());
        assertEquals(s, SegmentName.parse("000000020000000100000012", mb64));
        // with 64 MiB segments there are only 64 per xlog id
        assertThrows(IllegalArgumentException.class, () -> SegmentName.parse("000000010000000000000040", mb64));
        assertThrows(IllegalArgumentException.class, () -> SegmentName.parse("000000010000000000000000", 3_000_000));
    }

    @Test
    void nextCrossesTheXlogIdBoundary() {
        SegmentName s = SegmentName.parse("0000000100000000000000FF", MB16);
        assertEquals("000000010000000100000000", s.next().fileName());
    }

    @Test
    void recognisesOnlyCompleteSegmentNames() {
        assertTrue(SegmentName.isSegmentFileName("000000010000000000000001"));
        assertFalse(SegmentName.isSegmentFileName("000000010000000000000001.partial"));
        assertFalse(SegmentName.isSegmentFileName("00000002.history"));
        assertFalse(SegmentName.isSegmentFileName("00000001000000000000000a"));
    }
}
