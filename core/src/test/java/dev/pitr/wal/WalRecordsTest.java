package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Malformed input ends the reading with a reason, never an exception. The real-WAL oracle test is WalRecordsIT. */
class WalRecordsTest {

    private static final long SEG = 16L << 20;
    private static final SegmentName NAME = new SegmentName(TimelineId.of(1), 3, SEG);

    private static ByteBuffer longHeaderPage(byte[] seg) {
        ByteBuffer b = ByteBuffer.wrap(seg).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) WalRecords.MAGIC_PG15);
        b.putShort(2, (short) 0x0002);
        b.putInt(4, 1);
        b.putLong(8, NAME.startLsn().value());
        return b;
    }

    @Test
    void anEmptySegmentIsNotPostgresWal() {
        WalRecords.Result r = WalRecords.read(NAME, ByteBuffer.allocate((int) SEG), null);
        assertTrue(r.stoppedBecause().contains("magic"), r.stoppedBecause());
        assertEquals(0, r.records());
    }

    @Test
    void aValidHeaderFollowedByNothingEndsAtTheEmptyRest() {
        byte[] seg = new byte[(int) SEG];
        WalRecords.Result r = WalRecords.read(NAME, longHeaderPage(seg), null);
        assertEquals(1, r.timeline().value());
        assertTrue(r.stoppedBecause().contains("empty"), r.stoppedBecause());
    }

    @Test
    void garbageAfterAValidHeaderIsRefusedWithoutAnException() {
        Random random = new Random(42);
        for (int i = 0; i < 50; i++) {
            byte[] seg = new byte[(int) SEG];
            random.nextBytes(seg);
            WalRecords.Result r =
                    WalRecords.read(NAME, longHeaderPage(seg), i % 2 == 0 ? null : ByteBuffer.wrap(new byte[100]));
            assertNotNull(r.stoppedBecause());
            assertEquals(0, r.records());
        }
    }

    @Test
    void mainDataIsTheTailTheBlockHeadersPointAt() {
        // a record with only short main data: header, 0xFF, length 3, then the data
        byte[] rec = new byte[24 + 2 + 3];
        rec[24] = (byte) 0xFF;
        rec[25] = 3;
        rec[26] = 'a';
        rec[27] = 'b';
        rec[28] = 'c';
        assertEquals("abc", new String(WalRecords.mainData(rec), StandardCharsets.UTF_8));
        rec[24] = (byte) 100; // neither a block id nor a data marker
        assertEquals(null, WalRecords.mainData(rec));
    }
}
