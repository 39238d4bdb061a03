package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WalFileNameTest {

    @Test
    void namesACompleteSegmentWithoutItsSize() {
        WalFileName n = WalFileName.of("0000000A000000010000003F");
        assertEquals(TimelineId.of(10), n.timeline());
        assertEquals("0000000A000000010000003F", n.toString());
        assertEquals(n, SegmentName.parse("0000000A000000010000003F", 16L << 20).walFileName());
        assertEquals(n, SegmentName.parse("0000000A000000010000003F", 64L << 20).walFileName());
    }

    @Test
    void ordersByTimelineThenPlace() {
        assertTrue(
                WalFileName.of("000000010000000100000000").compareTo(WalFileName.of("0000000100000000000000FF")) > 0);
        assertTrue(
                WalFileName.of("000000020000000000000001").compareTo(WalFileName.of("0000000100000009000000FF")) > 0);
    }

    @Test
    void refusesWhatIsNotASegmentFileName() {
        for (String s : new String[] {
            "000000010000000000000001.partial",
            "00000002.history",
            "0000000100000000000000aa",
            "00000001000000000000001",
            "../00000001000000000000001",
            ""
        }) {
            assertThrows(IllegalArgumentException.class, () -> WalFileName.of(s), s);
        }
        assertThrows(NullPointerException.class, () -> WalFileName.of(null));
    }
}
