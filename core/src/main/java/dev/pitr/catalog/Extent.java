package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Consecutive archived segments of one timeline, each read whole as WAL, summed up as the restore window needs them:
 * segments {@code first} to {@code last}, the WAL they hold up to {@code endLsn}, the latest transaction end in them
 * ({@code lastEnd}, null when none ended), how many had no time index and the latest of their archive times, the
 * transaction ids that ended in them ({@code minXid} to {@code maxXid}; both 0 when none), their restore points, and
 * when they were archived. Part of a {@link SegmentBlock}.
 */
public record Extent(
        TimelineId timeline,
        long first,
        long last,
        Lsn endLsn,
        Instant lastEnd,
        int unindexed,
        Instant unindexedArchivedAt,
        long minXid,
        long maxXid,
        List<Point> points,
        Instant archivedFrom,
        Instant archivedTo) {

    /** A restore point and the segment whose records hold it. */
    public record Point(long segno, WalRecords.RestorePoint point) {}

    public Extent {
        if (first > last) {
            throw new IllegalArgumentException("extent " + first + ".." + last + " is empty");
        }
        points = List.copyOf(points);
    }

    /** The extent of one segment; {@code s} must be readable ({@link SegmentIndex#problem()} null or no index). */
    public static Extent of(SegmentRecord s) {
        SegmentIndex x = s.index();
        boolean xids = x != null && x.transactions() > 0;
        return new Extent(
                s.name().timeline(),
                s.name().segno(),
                s.name().segno(),
                s.endLsn(),
                x == null ? null : x.lastEnd(),
                x == null ? 1 : 0,
                x == null ? s.archivedAt() : null,
                xids ? x.minXid() : 0,
                xids ? x.maxXid() : 0,
                x == null
                        ? List.of()
                        : x.restorePoints().stream()
                                .map(p -> new Point(s.name().segno(), p))
                                .toList(),
                s.archivedAt(),
                s.archivedAt());
    }

    public long count() {
        return last - first + 1;
    }

    public boolean contains(long segno) {
        return first <= segno && segno <= last;
    }

    /** True when its last segment is one still being written, shipped only in part. */
    public boolean partialEnd(long segmentSize) {
        return endLsn.value() < (last + 1) * segmentSize;
    }

    /** True when no segment of it lacks a time index. */
    public boolean exact() {
        return unindexed == 0;
    }

    /** True when a transaction that ended in these segments may have had id {@code xid}. */
    public boolean mayHoldXid(long xid) {
        return maxXid > 0 && minXid <= xid && xid <= maxXid;
    }

    /** The latest time this WAL is known to reach: its last transaction end, or an unindexed segment's archive time. */
    public Instant reach() {
        return later(lastEnd, unindexedArchivedAt);
    }

    /** This extent followed directly by {@code next} (which must start at {@code last + 1} on the same timeline). */
    public Extent join(Extent next) {
        if (next.first != last + 1 || !next.timeline.equals(timeline)) {
            throw new IllegalArgumentException("extent " + next + " does not follow " + this);
        }
        List<Point> p = new ArrayList<>(points);
        p.addAll(next.points);
        boolean a = maxXid > 0;
        boolean b = next.maxXid > 0;
        return new Extent(
                timeline,
                first,
                next.last,
                next.endLsn,
                later(lastEnd, next.lastEnd),
                unindexed + next.unindexed,
                later(unindexedArchivedAt, next.unindexedArchivedAt),
                a && b ? Math.min(minXid, next.minXid) : a ? minXid : next.minXid,
                a && b ? Math.max(maxXid, next.maxXid) : a ? maxXid : next.maxXid,
                p,
                earlier(archivedFrom, next.archivedFrom),
                later(archivedTo, next.archivedTo));
    }

    static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    static Instant earlier(Instant a, Instant b) {
        return a == null ? b : b == null || a.isBefore(b) ? a : b;
    }
}
