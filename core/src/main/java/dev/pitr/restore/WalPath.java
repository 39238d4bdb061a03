package dev.pitr.restore;

import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.TimelineId;
import java.util.ArrayList;
import java.util.List;

/**
 * The WAL a server replays on its way to one timeline: each ancestor timeline up to the point the next one branched
 * off, then the timeline itself. It names the file PostgreSQL reads for each segment number the way recovery does:
 * the newest timeline on the path that had begun by that segment (so the segment holding a switch point is read from
 * the new timeline, whose copy of it holds the old WAL up to the switch).
 */
public record WalPath(TimelineId timeline, List<Step> steps) {

    /** One timeline on the path, from {@code begin} to {@code end} (exclusive; null for the target timeline). */
    public record Step(TimelineId timeline, Lsn begin, Lsn end) {}

    public WalPath {
        steps = List.copyOf(steps);
    }

    /** The path to {@code timeline}; {@code history} is null for timeline 1 or when its history file is not archived. */
    public static WalPath of(TimelineId timeline, TimelineHistory history) {
        List<Step> steps = new ArrayList<>();
        Lsn begin = new Lsn(0);
        if (history != null) {
            for (TimelineHistory.Entry e : history.entries()) {
                steps.add(new Step(e.parent(), begin, e.switchpoint()));
                begin = e.switchpoint();
            }
        }
        steps.add(new Step(timeline, begin, null));
        return new WalPath(timeline, steps);
    }

    /** The step of {@code tli} on this path, or null if the path does not pass through it. */
    public Step step(TimelineId tli) {
        return steps.stream().filter(s -> s.timeline().equals(tli)).findFirst().orElse(null);
    }

    /** The file recovery reads for segment number {@code segno} on the way to this timeline. */
    public SegmentName segment(long segno, long segmentSize) {
        TimelineId tli = steps.get(0).timeline();
        for (Step s : steps) {
            if (s.begin().value() / segmentSize <= segno) {
                tli = s.timeline();
            }
        }
        return new SegmentName(tli, segno, segmentSize);
    }

    /** True when {@code segment} is the file this path reads for its segment number. */
    public boolean reads(SegmentName segment) {
        return segment(segment.segno(), segment.segmentSize()).equals(segment);
    }

    /**
     * True when recovery from {@code snap} can follow this path: the snapshot was taken on a timeline of the path and
     * became consistent before that timeline was left.
     */
    public boolean holds(SnapshotRecord snap) {
        Step s = step(snap.timeline());
        return s != null && (s.end() == null || snap.stopLsn().isBefore(s.end()));
    }

    /** Why {@code snap} cannot start this path, for an error message. */
    public String whyNot(SnapshotRecord snap) {
        Step s = step(snap.timeline());
        if (s == null) {
            return "snapshot " + snap.id() + " was taken on timeline " + snap.timeline() + ", which is not on timeline "
                    + timeline + "'s history (" + describe() + ")";
        }
        return "timeline " + timeline + " branched off timeline " + snap.timeline() + " at " + s.end()
                + ", before snapshot " + snap.id() + " became consistent at " + snap.stopLsn();
    }

    /** E.g. {@code 1 until 0/5000060, then 2}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Step s : steps) {
            b.append(b.length() == 0 ? "timeline " : ", then ").append(s.timeline());
            if (s.end() != null) {
                b.append(" until ").append(s.end());
            }
        }
        return b.toString();
    }
}
