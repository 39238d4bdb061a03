package dev.pitr.restore;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.Extent;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * Plans a restore from the catalog alone: resolves the timeline, follows its history, picks the newest snapshot that
 * can reach the target (by the time index, not only by stop time), lists the WAL to replay and proves it has no gap.
 * A target it cannot reach is refused here, before anything is downloaded, with the window in the message.
 */
public final class RestorePlanner {

    /** Segment records read at a time while looking for where a time target falls. */
    private static final long PAGE = 256;

    private final RestoreWindow window;

    public RestorePlanner(RestoreWindow window) {
        this.window = window;
    }

    /**
     * Plans on {@code catalog}'s window, reading only the segment records the plan needs; a summary those records
     * contradict is summed up again and the plan made anew ({@link RestoreWindow#repairing}).
     */
    public static RestorePlan plan(
            Catalog catalog, RestoreTarget target, TargetTimeline timeline, boolean inclusive, SnapshotId snapshotId) {
        return RestoreWindow.repairing(
                catalog, w -> new RestorePlanner(w).plan(target, timeline, inclusive, snapshotId));
    }

    public RestorePlan plan(RestoreTarget target, TargetTimeline timeline, boolean inclusive, SnapshotId snapshotId) {
        if (window.snapshots().isEmpty()) {
            throw new PitrException(
                    ErrorCode.TARGET_OUTSIDE_WINDOW,
                    "the archive holds no complete snapshot",
                    "run 'pitr snapshot create' first");
        }
        SnapshotRecord only = snapshotId == null ? null : chosen(snapshotId);
        if (timeline instanceof TargetTimeline.Current) {
            if (only != null) {
                return planOn(only.timeline(), target, inclusive, s -> s.equals(only));
            }
            // the snapshot's own timeline: try the newest timeline any snapshot is on first
            List<TimelineId> tlis = window.snapshots().stream()
                    .map(SnapshotRecord::timeline)
                    .distinct()
                    .sorted(Comparator.reverseOrder())
                    .toList();
            PitrException first = null;
            for (TimelineId t : tlis) {
                try {
                    return planOn(t, target, inclusive, s -> s.timeline().equals(t));
                } catch (PitrException e) {
                    first = first == null ? e : first;
                }
            }
            throw first;
        }
        TimelineId tli = timeline instanceof TargetTimeline.Exactly e ? e.timeline() : newest();
        if (!window.timelines().contains(tli)) {
            throw new PitrException(
                    ErrorCode.TIMELINE_UNREACHABLE,
                    "timeline " + tli + " is not in the archive (it knows timelines " + window.timelines() + ")",
                    "choose one of those with --timeline, or latest");
        }
        return planOn(tli, target, inclusive, only == null ? s -> true : s -> s.equals(only));
    }

    private TimelineId newest() {
        List<TimelineId> all = window.timelines();
        return all.get(all.size() - 1);
    }

    private SnapshotRecord chosen(SnapshotId id) {
        return window.snapshots().stream()
                .filter(s -> s.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new PitrException(
                        ErrorCode.SNAPSHOT_NOT_FOUND,
                        "no complete snapshot " + id,
                        "run 'pitr snapshot list' to see the snapshots"));
    }

    private RestorePlan planOn(TimelineId tli, RestoreTarget target, boolean inclusive, Predicate<SnapshotRecord> use) {
        WalPath path = window.path(tli);
        List<SnapshotRecord> onPath =
                window.snapshots().stream().filter(use).filter(path::holds).toList();
        if (onPath.isEmpty()) {
            List<SnapshotRecord> asked = window.snapshots().stream().filter(use).toList();
            String why = asked.isEmpty()
                    ? "no complete snapshot is on timeline " + tli
                    : path.whyNot(asked.get(asked.size() - 1));
            throw new PitrException(
                    ErrorCode.TIMELINE_UNREACHABLE,
                    "no snapshot can reach timeline " + tli + ": " + why,
                    "restore on the snapshot's own timeline (--timeline current), or take a snapshot on timeline "
                            + tli);
        }
        RestoreWindow.Timeline w = window.timeline(tli, use);
        String windowText = w.describe() + gapsText(w);
        if (w.ranges().isEmpty()) {
            throw new PitrException(
                    ErrorCode.WAL_GAP,
                    "the WAL a snapshot needs to become consistent is not all archived; " + windowText,
                    "run 'pitr wal sync', and 'pitr restore-window' to see what is missing");
        }
        Choice c;
        if (target instanceof RestoreTarget.Time t) {
            c = byTime(w, t.time(), inclusive);
        } else if (target instanceof RestoreTarget.AtLsn at) {
            c = byLsn(w, at.lsn());
        } else if (target instanceof RestoreTarget.Xid x) {
            c = byXid(w, x.xid());
        } else if (target instanceof RestoreTarget.Named n) {
            c = byName(w, n.name());
        } else if (target instanceof RestoreTarget.Immediate) {
            RestoreWindow.Range r = w.ranges().get(w.ranges().size() - 1);
            SnapshotRecord s = newest(r.snapshots());
            c = new Choice(r, s, target, window.lastSegno(s), s.stopLsn(), null);
        } else {
            c = latest(w, windowText);
        }
        if (c == null) {
            throw refusal(target, w, windowText);
        }
        List<SegmentRecord> segs = c.range.segments(window.firstSegno(c.snapshot), c.lastSegno);
        return new RestorePlan(
                target,
                c.asked,
                inclusive,
                tli,
                path,
                window.chain(c.snapshot),
                window.histories(path),
                segs,
                c.stopsAt,
                windowText,
                c.note);
    }

    /** What the plan settled on: the range, the snapshot, what to ask PostgreSQL, and the last segment it needs. */
    private record Choice(
            RestoreWindow.Range range,
            SnapshotRecord snapshot,
            RestoreTarget asked,
            long lastSegno,
            Lsn stopsAt,
            String note) {}

    private Choice byTime(RestoreWindow.Timeline w, Instant t, boolean inclusive) {
        for (RestoreWindow.Range r : w.ranges()) {
            List<SnapshotRecord> fits =
                    r.snapshots().stream().filter(s -> consistentBy(s, r, t)).toList();
            if (fits.isEmpty() || t.isAfter(r.endTime())) {
                continue;
            }
            SnapshotRecord s = newest(fits);
            // the first segment holding a transaction end past the target is where PostgreSQL stops; only the extent
            // that holds it is read
            long from = window.firstSegno(s);
            int unindexed = 0;
            for (Extent e : r.extents()) {
                if (e.last() < from) {
                    continue;
                }
                Instant reach = e.lastEnd();
                if (reach == null || !(inclusive ? reach.isAfter(t) : !reach.isBefore(t))) {
                    unindexed += e.unindexed();
                    continue;
                }
                // a page at a time, so that no more than a page past the target is read
                for (long a = Math.max(from, e.first()); a <= e.last(); a += PAGE) {
                    for (SegmentRecord seg : r.segments(a, Math.min(e.last(), a + PAGE - 1))) {
                        if (seg.index() == null) {
                            unindexed++;
                            continue;
                        }
                        Instant last = seg.index().lastEnd();
                        if (last != null && (inclusive ? last.isAfter(t) : !last.isBefore(t))) {
                            String note = unindexed == 0 ? null : unindexedNote(unindexed);
                            return new Choice(
                                    r, s, new RestoreTarget.Time(t), seg.name().segno(), null, note);
                        }
                    }
                }
            }
            if (unindexed > 0) {
                // segments without a time index may hold the target: never widen it, PostgreSQL stops at it itself
                return new Choice(
                        r,
                        s,
                        new RestoreTarget.Time(t),
                        lastSegno(r),
                        null,
                        unindexedNote(unindexed)
                                + "; if nothing ended after the target, recovery ends before reaching it and the restore fails");
            }
            // nothing ended after the target in this stretch: every archived transaction is wanted, replay all of it
            return new Choice(
                    r,
                    s,
                    new RestoreTarget.Latest(),
                    lastSegno(r),
                    r.endLsn(),
                    "no transaction archived in this stretch ended after the target, so all of it is replayed");
        }
        return null;
    }

    /**
     * True when restoring from {@code s} can stop at time {@code t}: it became consistent by then, or the time index
     * shows that nothing ended after {@code t} in the WAL from its start to its consistency point.
     */
    private boolean consistentBy(SnapshotRecord s, RestoreWindow.Range r, Instant t) {
        if (!s.stopTime().isAfter(t)) {
            return true;
        }
        if (t.isBefore(s.startTime())) {
            return false;
        }
        for (SegmentRecord seg : r.segments(window.firstSegno(s), window.lastSegno(s))) {
            if (seg.index() == null
                    || (seg.index().lastEnd() != null && seg.index().lastEnd().isAfter(t))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Segments recorded without their time index ({@code catalog rebuild} from objects whose metadata is gone) cannot
     * place a time target; the plan keeps the target and fetches every segment that may hold it.
     */
    private static String unindexedNote(int unindexed) {
        return unindexed + " segment(s) between the snapshot and the target have no time index, so the plan cannot tell"
                + " where the target falls: PostgreSQL stops at it itself, and every segment that may hold it is fetched";
    }

    private Choice byLsn(RestoreWindow.Timeline w, Lsn lsn) {
        for (RestoreWindow.Range r : w.ranges()) {
            List<SnapshotRecord> fits = r.snapshots().stream()
                    .filter(s -> !s.stopLsn().isAfter(lsn))
                    .toList();
            if (!fits.isEmpty() && lsn.isBefore(r.endLsn())) {
                long segno = lsn.value() / window.segmentSize();
                // a record that starts at the target may end in the next segment
                return new Choice(
                        r, newest(fits), new RestoreTarget.AtLsn(lsn), Math.min(segno + 1, lastSegno(r)), lsn, null);
            }
        }
        return null;
    }

    private Choice byXid(RestoreWindow.Timeline w, long xid) {
        for (RestoreWindow.Range r : w.ranges()) {
            // only the extents whose transaction ids may include it are read
            List<SegmentRecord> holding = new ArrayList<>();
            for (Extent e : r.extents()) {
                if (e.mayHoldXid(xid)) {
                    r.segments(e.first(), e.last()).stream()
                            .filter(x -> x.index() != null && x.index().mayHoldXid(xid))
                            .forEach(holding::add);
                }
            }
            for (SegmentRecord seg : holding) {
                long segno = seg.name().segno();
                // a snapshot consistent before the segment is sure to see the transaction end; one in it very likely
                // does
                List<SnapshotRecord> fits = r.snapshots().stream()
                        .filter(s -> window.lastSegno(s) <= segno)
                        .toList();
                if (fits.isEmpty()) {
                    continue;
                }
                List<SnapshotRecord> before =
                        fits.stream().filter(s -> window.lastSegno(s) < segno).toList();
                SnapshotRecord s = newest(before.isEmpty() ? fits : before);
                long last = holding.get(holding.size() - 1).name().segno();
                return new Choice(r, s, new RestoreTarget.Xid(xid), last, null, null);
            }
        }
        return null;
    }

    private Choice byName(RestoreWindow.Timeline w, String name) {
        Choice found = null;
        for (RestoreWindow.Range r : w.ranges()) {
            for (Extent.Point x : r.restorePoints()) {
                WalRecords.RestorePoint p = x.point();
                if (!p.name().equals(name)) {
                    continue;
                }
                List<SnapshotRecord> fits = r.snapshots().stream()
                        .filter(s -> s.stopLsn().isBefore(p.lsn()))
                        .toList();
                if (!fits.isEmpty()) {
                    // the newest restore point of that name; recovery stops at the first one after its snapshot
                    found = new Choice(r, newest(fits), new RestoreTarget.Named(name), x.segno(), p.lsn(), null);
                }
            }
        }
        if (found == null) {
            return null;
        }
        Choice f = found;
        long from = window.firstSegno(f.snapshot);
        for (Extent.Point x : f.range.restorePoints()) {
            WalRecords.RestorePoint p = x.point();
            if (x.segno() >= from
                    && p.name().equals(name)
                    && f.snapshot.stopLsn().isBefore(p.lsn())) {
                String note = p.lsn().equals(f.stopsAt)
                        ? null
                        : "restore point '" + name
                                + "' exists more than once; recovery stops at the first after the snapshot, " + p.lsn();
                return new Choice(f.range, f.snapshot, f.asked, x.segno(), p.lsn(), note);
            }
        }
        return f;
    }

    private Choice latest(RestoreWindow.Timeline w, String windowText) {
        RestoreWindow.Range r = w.ranges().get(w.ranges().size() - 1);
        if (w.walAfter()) {
            throw new PitrException(
                    ErrorCode.WAL_GAP,
                    "the archived WAL of timeline " + w.timeline() + " has a gap after " + r.endLsn()
                            + "; --latest would silently stop there; " + windowText,
                    "restore to a point before the gap (--to '" + RestoreTarget.postgresTime(r.endTime())
                            + "' or --lsn "
                            + new Lsn(r.lastSegno() * window.segmentSize())
                            + "), and find out why segments are missing");
        }
        return new Choice(r, newest(r.snapshots()), new RestoreTarget.Latest(), lastSegno(r), r.endLsn(), null);
    }

    private PitrException refusal(RestoreTarget target, RestoreWindow.Timeline w, String windowText) {
        List<RestoreWindow.Range> ranges = w.ranges();
        RestoreWindow.Range first = ranges.get(0);
        RestoreWindow.Range last = ranges.get(ranges.size() - 1);
        String what = RestoreTarget.describe(target);
        if (target instanceof RestoreTarget.Time t) {
            if (t.time().isBefore(first.startTime())) {
                return outside(
                        what + " is earlier than the first snapshot's consistency point",
                        windowText,
                        "choose a time at or after " + RestoreTarget.postgresTime(first.startTime()));
            }
            if (t.time().isAfter(last.endTime()) && w.walAfter()) {
                return gap(what + " lies beyond a gap in the archived WAL", windowText);
            }
            if (t.time().isAfter(last.endTime())) {
                return outside(
                        what + " is later than the last transaction archived",
                        windowText,
                        "choose a time at or before " + RestoreTarget.postgresTime(last.endTime())
                                + ", or --latest; if capture is running, the window grows as WAL arrives");
            }
            return gap(what + " falls in a gap of the archived WAL", windowText);
        }
        if (target instanceof RestoreTarget.AtLsn at) {
            if (at.lsn().isBefore(first.startLsn())) {
                return outside(
                        what + " is earlier than the first snapshot's consistency point",
                        windowText,
                        "choose an LSN at or after " + first.startLsn());
            }
            if (!at.lsn().isBefore(last.endLsn()) && w.walAfter()) {
                return gap(what + " lies beyond a gap in the archived WAL", windowText);
            }
            if (!at.lsn().isBefore(last.endLsn())) {
                return outside(
                        what + " is beyond the archived WAL", windowText, "choose an LSN before " + last.endLsn());
            }
            return gap(what + " falls in a gap of the archived WAL", windowText);
        }
        if (target instanceof RestoreTarget.Xid) {
            return outside(
                    "no " + what + " ended in the WAL after a snapshot's consistency point",
                    windowText,
                    "check the transaction id; a transaction that ended before the first snapshot cannot be a target");
        }
        return outside(
                "no " + what + " was archived after a snapshot's consistency point",
                windowText,
                "list the restore points with 'pitr restore-window --json'");
    }

    private static PitrException outside(String message, String window, String hint) {
        return new PitrException(ErrorCode.TARGET_OUTSIDE_WINDOW, message + "; " + window, hint);
    }

    private static PitrException gap(String message, String window) {
        return new PitrException(
                ErrorCode.WAL_GAP,
                message + "; " + window,
                "choose a target inside a restorable range; 'pitr restore-window' shows the gaps");
    }

    private static String gapsText(RestoreWindow.Timeline w) {
        List<String> parts = new ArrayList<>();
        for (RestoreWindow.Gap g : w.gaps()) {
            if (g.kind() != RestoreWindow.GapKind.TIMELINE_BRANCH) {
                parts.add(g.detail());
            }
        }
        return parts.isEmpty() ? "" : "; gaps: " + String.join("; ", parts);
    }

    private static long lastSegno(RestoreWindow.Range r) {
        return r.lastSegno();
    }

    private static SnapshotRecord newest(List<SnapshotRecord> snaps) {
        return snaps.stream().max(Comparator.comparing(SnapshotRecord::stopLsn)).orElseThrow();
    }
}
