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
        b.putShort(0, (short) WalFormat.PG15.magic());
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
        assertEquals("abc", new String(WalRecords.mainData(rec, WalFormat.PG15), StandardCharsets.UTF_8));
        rec[24] = (byte) 100; // neither a block id nor a data marker
        assertEquals(null, WalRecords.mainData(rec, WalFormat.PG15));
    }

    /**
     * A {@code COMMIT PREPARED} record's main data, with every part that comes before the two-phase one: the ended
     * transaction is the prepared one it names, found past parts whose sizes differ by version.
     */
    private static byte[] commitPrepared(int statsItemSize) {
        ByteBuffer b = ByteBuffer.allocate(200).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(123_456L); // xact_time
        b.putInt(0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x80 | (statsItemSize > 0 ? 0x100 : 0));
        b.putInt(5).putInt(1663); // dbinfo
        b.putInt(2).putInt(901).putInt(902); // subtransactions
        b.putInt(1).put(new byte[12]); // relfilenodes
        if (statsItemSize > 0) {
            b.putInt(2).put(new byte[2 * statsItemSize]);
        }
        b.putInt(1).put(new byte[16]); // invalidation messages
        b.putInt(900); // the prepared transaction
        b.put("g1\0".getBytes(StandardCharsets.US_ASCII));
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    @Test
    void aPreparedTransactionEndsUnderItsOwnIdInEveryVersionsLayout() {
        for (WalFormat f : WalFormat.values()) {
            byte[] main = commitPrepared(f.droppedStatsItemSize());
            assertEquals(900, WalRecords.endedXid(0x30 | 0x80, main, f, 0), f.name());
            // a plain commit names its transaction in the record header
            assertEquals(77, WalRecords.endedXid(0x00, main, f, 77), f.name());
            // counts that run past the record are damage, not an exception
            byte[] cut = java.util.Arrays.copyOf(main, 30);
            assertEquals(-1, WalRecords.endedXid(0x30 | 0x80, cut, f, 0), f.name());
        }
        // 18's dropped-statistics items are longer than 15's: read with the wrong size, the id is another
        byte[] of18 = commitPrepared(WalFormat.PG18.droppedStatsItemSize());
        assertTrue(WalRecords.endedXid(0x30 | 0x80, of18, WalFormat.PG15, 0) != 900);
    }

    @Test
    void everyVersionsPageMagicIsItsOwn() {
        for (WalFormat f : WalFormat.values()) {
            ByteBuffer page = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            page.putShort(0, (short) f.magic());
            assertEquals(f, WalRecords.format(page).orElseThrow());
            assertTrue(WalRecords.otherVersionMagic(page).isEmpty());
        }
        ByteBuffer pg12 = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        pg12.putShort(0, (short) 0xD101);
        assertEquals(0xD101, WalRecords.otherVersionMagic(pg12).getAsInt());
        assertTrue(WalRecords.format(pg12).isEmpty());
    }
}
