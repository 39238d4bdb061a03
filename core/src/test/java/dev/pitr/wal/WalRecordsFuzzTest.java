package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The WAL record reader on any bytes, as capture hands it every segment it ships and the segment still being written:
 * it always returns a result (never throws), ends, and never allocates beyond the WAL at hand. The inputs directory
 * holds the seeds, the first pages of real PostgreSQL 15 segments, and every input a fuzzing run found failing; the
 * normal test run replays them all, and {@code JAZZER_FUZZ=1} fuzzes from them (the build does, for a minute).
 */
class WalRecordsFuzzTest {

    private static final long SEG = 16L << 20;

    @FuzzTest(maxDuration = "60s")
    void anyBytesAreReadToAResult(byte[] input) {
        SegmentName name = nameFrom(input);
        check(name, ByteBuffer.wrap(input), null);
        // the same bytes split into a segment and the one after it, as a record crossing the end finds them
        int half = input.length / 2;
        check(
                name,
                ByteBuffer.wrap(input, 0, half).slice(),
                ByteBuffer.wrap(input, half, input.length - half).slice());
    }

    private static void check(SegmentName name, ByteBuffer seg, ByteBuffer next) {
        WalRecords.Result r = WalRecords.read(name, seg, next);
        assertTrue(r.records() >= 0 && r.transactionEnds().size() <= r.records(), r.toString());
        assertTrue(r.completeBytes() >= 0 && r.completeBytes() <= SEG, r.toString());
        assertTrue(!r.damaged() || r.stoppedBecause() != null, r.toString());
    }

    /** The segment the first page header says it is, so that a real segment's records are read as such. */
    private static SegmentName nameFrom(byte[] b) {
        if (b.length >= 16) {
            ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            long tli = Integer.toUnsignedLong(h.getInt(4));
            long addr = h.getLong(8);
            if (tli >= 1 && addr >= 0) {
                return new SegmentName(TimelineId.of(tli), addr / SEG, SEG);
            }
        }
        return new SegmentName(TimelineId.of(1), 1, SEG);
    }
}
