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

    /**
     * Writes records as PostgreSQL lays them into a segment: a long header on the first page, a short one on every
     * later page (continuing the record it cuts), records 8-aligned, each linked to the one before and summed.
     */
    private static final class SegmentWriter {
        final byte[] seg = new byte[(int) SEG];
        final ByteBuffer b = longHeaderPage(seg);
        final java.util.List<Integer> starts = new java.util.ArrayList<>();
        /** Where each record's last byte lies (after the page headers within it). */
        final java.util.List<Integer> lasts = new java.util.ArrayList<>();

        int pos = 40;
        long prev;
        /** The record written with an xl_prev that points elsewhere, and a sum that fits it (-1: none). */
        int misLinked = -1;

        /** Appends a record of resource manager {@code rmid} and {@code info} whose data is {@code data}. */
        void record(int rmid, int info, byte[] data) {
            byte[] rec = new byte[24 + data.length];
            ByteBuffer r = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(0, rec.length)
                    .putInt(4, 700 + starts.size())
                    .putLong(8, prev + (misLinked == starts.size() ? 8 : 0));
            rec[16] = (byte) info;
            rec[17] = (byte) rmid;
            System.arraycopy(data, 0, rec, 24, data.length);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(rec, 24, data.length);
            crc.update(rec, 0, 20);
            r.putInt(20, (int) crc.getValue());
            if (pos % WalRecords.PAGE == 0) {
                pageHeader(0, 0);
            }
            starts.add(pos);
            prev = NAME.startLsn().value() + pos;
            int done = 0;
            while (done < rec.length) {
                if (pos % WalRecords.PAGE == 0) {
                    pageHeader(0x0001, rec.length - done);
                }
                int n = Math.min(rec.length - done, WalRecords.PAGE - pos % WalRecords.PAGE);
                System.arraycopy(rec, done, seg, pos, n);
                done += n;
                pos += n;
            }
            lasts.add(pos - 1);
            pos = (pos + 7) & ~7;
        }

        private void pageHeader(int info, int remaining) {
            b.putShort(pos, (short) WalFormat.PG15.magic());
            b.putShort(pos + 2, (short) info);
            b.putInt(pos + 4, 1);
            b.putLong(pos + 8, NAME.startLsn().value() + pos);
            b.putInt(pos + 16, remaining);
            pos += 24;
        }

        /** A commit record ({@code RM_XACT}, {@code XLOG_XACT_COMMIT}) whose main data is its commit time. */
        void commit(long micros) {
            ByteBuffer main = ByteBuffer.allocate(2 + 8).order(ByteOrder.LITTLE_ENDIAN);
            main.put((byte) 0xFF).put((byte) 8).putLong(micros);
            record(1, 0, main.array());
        }
    }

    /** Small records within a page, one across pages, a commit: read, linked and summed record by record. */
    private static SegmentWriter someRecords(int misLinked) {
        SegmentWriter w = new SegmentWriter();
        w.misLinked = misLinked;
        Random random = new Random(7);
        for (int i = 0; i < 40; i++) {
            byte[] data = new byte[20 + random.nextInt(300)];
            random.nextBytes(data);
            w.record(10, 0, data);
            if (i == 30) {
                // one that ends exactly at its page's end: the next starts after the next page's header
                int left = WalRecords.PAGE - w.pos % WalRecords.PAGE;
                w.record(10, 0, new byte[left >= 48 ? left - 24 : left + WalRecords.PAGE - 48]);
            }
            if (i == 20) {
                byte[] image = new byte[9000];
                random.nextBytes(image);
                w.record(10, 0, image);
                w.commit(1_000_000L);
            }
        }
        return w;
    }

    @Test
    void validRecordsAreReadToTheEndOfTheWalWritten() {
        SegmentWriter w = someRecords(-1);
        WalRecords.Result r = WalRecords.read(NAME, ByteBuffer.wrap(w.seg), null);
        assertEquals(w.starts.size(), r.records(), String.valueOf(r.stoppedBecause()));
        assertTrue(r.stoppedBecause().contains("empty"), r.stoppedBecause());
        assertEquals(new Lsn(w.prev), r.lastRecord());
        assertEquals(1, r.transactionEnds().size());
        assertEquals(700 + 22, r.transactionEnds().get(0).xid()); // the 23rd record
    }

    @Test
    void aSegmentSwitchEndsTheSegment() {
        SegmentWriter w = someRecords(-1);
        w.record(0, 0x40, new byte[0]);
        WalRecords.Result r = WalRecords.read(NAME, ByteBuffer.wrap(w.seg), null);
        assertTrue(r.switched(), r.toString());
        assertEquals(w.starts.size(), r.records());
        assertEquals(new Lsn(w.prev), r.lastRecord());
    }

    @Test
    void aChangedByteOrABrokenLinkEndsTheReadingAtItsRecord() {
        SegmentWriter w = someRecords(-1);
        for (int k = 0; k < w.starts.size(); k++) {
            int at = w.starts.get(k);
            int last = w.lasts.get(k);
            // the last byte of the data (across pages for the long record), xl_prev (the first record links to
            // nothing known, so its sum fails instead), the resource manager
            for (int[] change : new int[][] {{last, 1}, {at + 8, 1}, {at + 17, 0}}) {
                byte[] seg = w.seg.clone();
                seg[change[0]] ^= (byte) (change[1] == 1 ? 0x10 : 0x01);
                WalRecords.Result r = WalRecords.read(NAME, ByteBuffer.wrap(seg), null);
                assertEquals(k, r.records(), "record " + k + ", byte " + change[0] + ": " + r.stoppedBecause());
                assertTrue(
                        r.stoppedBecause()
                                .contains(change[0] == at + 8 && k > 0 ? "does not link back" : "fails its CRC"),
                        r.stoppedBecause());
            }
            if (k > 0) {
                // a record that sums right but links elsewhere (WAL of an earlier run of the timeline, say)
                WalRecords.Result r = WalRecords.read(NAME, ByteBuffer.wrap(someRecords(k).seg), null);
                assertEquals(k, r.records(), "record " + k + ": " + r.stoppedBecause());
                assertTrue(r.stoppedBecause().contains("does not link back"), r.stoppedBecause());
            }
        }
    }
}
