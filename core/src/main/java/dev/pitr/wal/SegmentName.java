package dev.pitr.wal;

import java.util.regex.Pattern;

/**
 * A WAL segment: timeline plus segment number, named by PostgreSQL as 24 hex digits. The mapping between the name and
 * the segment number depends on the server's {@code wal_segment_size}, which is always passed in.
 */
public record SegmentName(TimelineId timeline, long segno, long segmentSize) implements Comparable<SegmentName> {

    private static final Pattern NAME = Pattern.compile("[0-9A-F]{24}");
    private static final long XLOG_ID_SPAN = 0x100000000L;

    public SegmentName {
        validateSegmentSize(segmentSize);
        if (segno < 0) {
            throw new IllegalArgumentException("negative segment number");
        }
    }

    /** True for the 24-hex name of a complete segment (not {@code .partial}, not {@code .history}). */
    public static boolean isSegmentFileName(String name) {
        return NAME.matcher(name).matches();
    }

    /** The segment {@code name} names, in a WAL of {@code segmentSize}-byte segments. */
    public static SegmentName of(WalFileName name, long segmentSize) {
        return parse(name.text(), segmentSize);
    }

    public static SegmentName parse(String name, long segmentSize) {
        if (!isSegmentFileName(name)) {
            throw new IllegalArgumentException("not a WAL segment name: " + name);
        }
        long segsPerId = segmentsPerXLogId(segmentSize);
        TimelineId tli = TimelineId.parseHex(name.substring(0, 8));
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16);
        if (seg >= segsPerId) {
            throw new IllegalArgumentException(name + " is not a valid segment for wal_segment_size " + segmentSize);
        }
        return new SegmentName(tli, log * segsPerId + seg, segmentSize);
    }

    /** The segment that holds the byte at {@code lsn}. */
    public static SegmentName containing(TimelineId tli, Lsn lsn, long segmentSize) {
        validateSegmentSize(segmentSize);
        return new SegmentName(tli, Long.divideUnsigned(lsn.value(), segmentSize), segmentSize);
    }

    public Lsn startLsn() {
        return new Lsn(segno * segmentSize);
    }

    /** The first position after this segment. */
    public Lsn endLsn() {
        return new Lsn((segno + 1) * segmentSize);
    }

    public SegmentName next() {
        return new SegmentName(timeline, segno + 1, segmentSize);
    }

    /** The segment's file name as a value: what catalogs key segments by. */
    public WalFileName walFileName() {
        return new WalFileName(fileName());
    }

    public String fileName() {
        long segsPerId = segmentsPerXLogId(segmentSize);
        return String.format("%s%08X%08X", timeline.hex(), segno / segsPerId, segno % segsPerId);
    }

    @Override
    public int compareTo(SegmentName o) {
        int c = timeline.compareTo(o.timeline);
        return c != 0 ? c : Long.compare(segno, o.segno);
    }

    @Override
    public String toString() {
        return fileName();
    }

    private static long segmentsPerXLogId(long segmentSize) {
        return XLOG_ID_SPAN / segmentSize;
    }

    /** PostgreSQL allows powers of two from 1 MiB to 1 GiB. */
    public static void validateSegmentSize(long size) {
        if (size < (1 << 20) || size > (1L << 30) || Long.bitCount(size) != 1) {
            throw new IllegalArgumentException("invalid wal_segment_size " + size);
        }
    }
}
