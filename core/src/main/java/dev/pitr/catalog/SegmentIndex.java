package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.WalRecords;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * What a segment's WAL records say about time, found when it is shipped: the first and last transaction end (commit
 * or abort) with their times, the range of transaction ids that ended in it, and the named restore points. {@code
 * problem} is null when every record was read; otherwise it says where reading stopped (the segment is still
 * archived, and anything past that point is unknown to the index). Times are those PostgreSQL wrote in the records.
 */
public record SegmentIndex(
        Instant firstEnd,
        Instant lastEnd,
        long minXid,
        long maxXid,
        int transactions,
        List<WalRecords.RestorePoint> restorePoints,
        String problem) {

    public SegmentIndex {
        restorePoints = List.copyOf(restorePoints);
    }

    /** The index of a segment's records as {@link WalRecords} read them. */
    public static SegmentIndex of(WalRecords.Result r) {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (WalRecords.TransactionEnd e : r.transactionEnds()) {
            min = Math.min(min, e.xid());
            max = Math.max(max, e.xid());
        }
        List<WalRecords.TransactionEnd> ends = r.transactionEnds();
        return new SegmentIndex(
                ends.isEmpty() ? null : ends.get(0).time(),
                ends.isEmpty() ? null : ends.get(ends.size() - 1).time(),
                ends.isEmpty() ? 0 : min,
                max,
                ends.size(),
                r.restorePoints(),
                r.damaged() ? r.stoppedBecause() : null);
    }

    /**
     * The index of the complete records at the start of a segment still being written: where reading stopped is the
     * end of what was written so far, not a problem.
     */
    public static SegmentIndex ofPrefix(WalRecords.Result r) {
        SegmentIndex x = of(r);
        return new SegmentIndex(x.firstEnd, x.lastEnd, x.minXid, x.maxXid, x.transactions, x.restorePoints, null);
    }

    /** True when a transaction that ended here may have had id {@code xid} (xids end roughly, not strictly, in order). */
    public boolean mayHoldXid(long xid) {
        return transactions > 0 && minXid <= xid && xid <= maxXid;
    }

    /** The restore points in one ASCII string: {@code lsn,micros,base64url(name)} joined by {@code ;}. */
    public String restorePointsText() {
        List<String> parts = new ArrayList<>();
        for (WalRecords.RestorePoint p : restorePoints) {
            Instant t = p.time();
            long micros = Math.multiplyExact(t.getEpochSecond(), 1_000_000L) + t.getNano() / 1000;
            parts.add(p.lsn() + "," + micros + ","
                    + Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(p.name().getBytes(StandardCharsets.UTF_8)));
        }
        return String.join(";", parts);
    }

    /** Reads {@link #restorePointsText()}; null or empty is none. */
    public static List<WalRecords.RestorePoint> parseRestorePoints(String text) {
        List<WalRecords.RestorePoint> out = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return out;
        }
        for (String part : text.split(";", -1)) {
            String[] f = part.split(",", 3);
            long micros = Long.parseLong(f[1]);
            out.add(new WalRecords.RestorePoint(
                    Lsn.parse(f[0]),
                    new String(Base64.getUrlDecoder().decode(f[2]), StandardCharsets.UTF_8),
                    Instant.ofEpochSecond(
                            Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000)));
        }
        return out;
    }
}
