package dev.pitr.restore;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.TimelineId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * What the archive can restore, per timeline, computed from the catalog alone: the snapshots, the WAL after them
 * without a gap, and the time index of that WAL. A {@link Range} runs from a snapshot's consistency point to the last
 * transaction end archived after it with no segment missing in between; every missing or unreadable segment and every
 * timeline branch is a {@link Gap} that says why.
 */
public final class RestoreWindow {

    /** Why the WAL of a timeline does not go on. */
    public enum GapKind {
        MISSING_SEGMENT,
        /** Segments retention expired: WAL between kept snapshots that no kept snapshot or window point needs. */
        EXPIRED,
        UNREADABLE_SEGMENT,
        TIMELINE_BRANCH,
        MISSING_HISTORY
    }

    /** A stretch of the timeline's WAL that cannot be replayed through, from {@code from} to {@code to} (exclusive). */
    public record Gap(GapKind kind, Lsn from, Lsn to, List<String> files, String detail) {}

    /**
     * A stretch restorable to any point: from the consistency point of its earliest snapshot ({@code start*}) to the last
     * transaction end archived in it ({@code endTime}) and the end of its last segment ({@code endLsn}). {@code segments}
     * is the WAL of the stretch in replay order, from the earliest snapshot's first segment on. {@code exactTimes} is
     * false when some of it was archived before the time index existed, so {@code endTime} is when it was archived.
     */
    public record Range(
            List<SnapshotRecord> snapshots,
            Lsn startLsn,
            Instant startTime,
            Lsn endLsn,
            Instant endTime,
            List<SegmentRecord> segments,
            boolean exactTimes) {

        /** The range's segments from {@code segno} on. */
        public List<SegmentRecord> from(long segno) {
            return segments.stream().filter(s -> s.name().segno() >= segno).toList();
        }
    }

    /**
     * One timeline's window. {@code ranges} are in LSN order; {@code walAfter} is true when segments exist past the last
     * range (behind a gap), which a restore to the latest point would silently stop short of.
     */
    public record Timeline(WalPath path, List<Range> ranges, List<Gap> gaps, boolean walAfter) {

        public TimelineId timeline() {
            return path.timeline();
        }

        /** E.g. {@code 2025-11-23 14:41:37.000000+00 (0/3000100) to ... (0/9000000)}, for messages. */
        public String describe() {
            if (ranges.isEmpty()) {
                return "nothing is restorable on timeline " + timeline();
            }
            List<String> parts = new ArrayList<>();
            for (Range r : ranges) {
                parts.add(RestoreTarget.postgresTime(r.startTime()) + " (" + r.startLsn() + ") to "
                        + RestoreTarget.postgresTime(r.endTime()) + " (" + r.endLsn() + ")");
            }
            return "restorable window on timeline " + timeline() + ": " + String.join(", and ", parts);
        }
    }

    private final Map<TimelineId, HistoryRecord> histories = new HashMap<>();
    private final Map<TimelineId, TimelineHistory> parsed = new HashMap<>();
    private final Map<String, SegmentRecord> segments = new HashMap<>();
    private final List<SnapshotRecord> snapshots;
    private final TreeSet<TimelineId> timelines = new TreeSet<>();
    private final Set<String> expired;
    private final long segmentSize;

    private RestoreWindow(
            List<SegmentRecord> segs, List<HistoryRecord> hist, List<SnapshotRecord> snaps, Set<String> expired) {
        this.expired = expired;
        long size = 0;
        for (SegmentRecord s : segs) {
            segments.put(s.name().fileName(), s);
            timelines.add(s.name().timeline());
            size = s.name().segmentSize();
        }
        for (HistoryRecord h : hist) {
            histories.put(h.timeline(), h);
            parsed.put(h.timeline(), h.parsed());
            timelines.add(h.timeline());
        }
        snapshots = snaps.stream()
                .filter(s -> s.status() == SnapshotRecord.Status.COMPLETE)
                .sorted(Comparator.comparing(SnapshotRecord::stopLsn))
                .toList();
        snapshots.forEach(s -> timelines.add(s.timeline()));
        segmentSize = size;
    }

    /**
     * Reads what the window needs from {@code catalog}: every segment, history and snapshot record, and the segments
     * still being written as far as they were shipped ({@link PartialSegment#asSegment}), where no complete one is
     * archived under the same name.
     */
    public static RestoreWindow of(Catalog catalog) {
        Set<String> expired = new HashSet<>();
        catalog.expiredSegments().forEach(e -> expired.add(e.fileName().text()));
        List<SegmentRecord> segs = new ArrayList<>(catalog.allSegments());
        Set<String> complete = new HashSet<>();
        segs.forEach(s -> complete.add(s.name().fileName()));
        for (PartialSegment p : catalog.partials()) {
            if (!complete.contains(p.name().fileName())
                    && !expired.contains(p.name().fileName())) {
                segs.add(p.asSegment());
            }
        }
        return new RestoreWindow(segs, catalog.histories(), catalog.snapshots(), expired);
    }

    /** The window over these records, as {@link #of(Catalog)} reads them. */
    public static RestoreWindow of(List<SegmentRecord> segs, List<HistoryRecord> hist, List<SnapshotRecord> snaps) {
        return new RestoreWindow(segs, hist, snaps, Set.of());
    }

    /** Every timeline the archive knows, oldest first. */
    public List<TimelineId> timelines() {
        return List.copyOf(timelines);
    }

    /** The complete snapshots, by consistency point. */
    public List<SnapshotRecord> snapshots() {
        return snapshots;
    }

    public List<HistoryRecord> histories(WalPath path) {
        return path.steps().stream()
                .map(s -> histories.get(s.timeline()))
                .filter(h -> h != null)
                .toList();
    }

    public WalPath path(TimelineId tli) {
        return WalPath.of(tli, parsed.get(tli));
    }

    /** The window of every timeline, oldest first. */
    public List<Timeline> all() {
        return timelines.stream().map(this::timeline).toList();
    }

    public Timeline timeline(TimelineId tli) {
        return timeline(tli, s -> true);
    }

    /** The window of {@code tli} counting only the snapshots {@code use} accepts. */
    public Timeline timeline(TimelineId tli, Predicate<SnapshotRecord> use) {
        WalPath path = path(tli);
        List<Gap> gaps = new ArrayList<>();
        if (tli.value() > 1 && !histories.containsKey(tli)) {
            gaps.add(new Gap(
                    GapKind.MISSING_HISTORY,
                    new Lsn(0),
                    null,
                    List.of(TimelineHistory.fileName(tli)),
                    "the history file of timeline " + tli
                            + " is not archived, so its ancestors' WAL cannot be followed"));
        }
        for (TimelineHistory h : parsed.values()) {
            for (TimelineHistory.Entry e : h.entries()) {
                if (e.parent().equals(tli) && isChildOf(h.timeline(), tli)) {
                    gaps.add(new Gap(
                            GapKind.TIMELINE_BRANCH,
                            e.switchpoint(),
                            null,
                            List.of(TimelineHistory.fileName(h.timeline())),
                            "timeline " + h.timeline() + " branches off here; restore with --timeline " + h.timeline()
                                    + " to follow it"));
                }
            }
        }
        List<SnapshotRecord> usable =
                snapshots.stream().filter(path::holds).filter(use).toList();
        List<Range> ranges = new ArrayList<>();
        boolean walAfter = false;
        if (!usable.isEmpty() && segmentSize > 0) {
            long lo = usable.stream().mapToLong(this::firstSegno).min().orElseThrow();
            List<SegmentRecord> onPath = segments.values().stream()
                    .filter(s -> s.name().segno() >= lo && path.reads(s.name()))
                    .sorted(Comparator.comparingLong(s -> s.name().segno()))
                    .toList();
            List<SegmentRecord> run = new ArrayList<>();
            long expect = lo;
            for (SegmentRecord s : onPath) {
                boolean unreadable = s.index() != null && s.index().problem() != null;
                if (s.name().segno() != expect) {
                    gaps.add(missing(path, expect, s.name().segno()));
                    closeRun(run, usable, ranges);
                }
                if (unreadable) {
                    gaps.add(new Gap(
                            GapKind.UNREADABLE_SEGMENT,
                            s.startLsn(),
                            s.endLsn(),
                            List.of(s.name().fileName()),
                            "segment " + s.name().fileName() + " is archived but could not be read as WAL: "
                                    + s.index().problem()));
                    closeRun(run, usable, ranges);
                } else {
                    run.add(s);
                }
                expect = s.name().segno() + 1;
            }
            if (onPath.isEmpty()) {
                gaps.add(missing(path, lo, lo + 1));
            }
            closeRun(run, usable, ranges);
            if (!onPath.isEmpty()) {
                long lastArchived = onPath.get(onPath.size() - 1).name().segno();
                List<SegmentRecord> lastRange = ranges.isEmpty()
                        ? List.of()
                        : ranges.get(ranges.size() - 1).segments();
                walAfter = lastRange.isEmpty()
                        || lastArchived
                                > lastRange.get(lastRange.size() - 1).name().segno();
            }
        }
        gaps.sort(Comparator.comparing(Gap::from));
        return new Timeline(path, ranges, gaps, walAfter);
    }

    /** True when {@code parent} is the timeline {@code child} branched from directly. */
    private boolean isChildOf(TimelineId child, TimelineId parent) {
        List<TimelineHistory.Entry> entries = parsed.get(child).entries();
        return !entries.isEmpty() && entries.get(entries.size() - 1).parent().equals(parent);
    }

    private Gap missing(WalPath path, long fromSegno, long toSegno) {
        List<String> files = new ArrayList<>();
        for (long n = fromSegno; n < toSegno && files.size() < 10; n++) {
            files.add(path.segment(n, segmentSize).fileName());
        }
        long count = toSegno - fromSegno;
        String first = path.segment(fromSegno, segmentSize).fileName();
        boolean retention = !expired.isEmpty();
        for (long n = fromSegno; n < toSegno && retention; n++) {
            retention = expired.contains(path.segment(n, segmentSize).fileName());
        }
        if (retention) {
            return new Gap(
                    GapKind.EXPIRED,
                    new Lsn(fromSegno * segmentSize),
                    new Lsn(toSegno * segmentSize),
                    files,
                    (count == 1 ? "segment " + first + " was" : count + " segments from " + first + " on were")
                            + " expired by retention; no kept snapshot or window point needs them");
        }
        return new Gap(
                GapKind.MISSING_SEGMENT,
                new Lsn(fromSegno * segmentSize),
                new Lsn(toSegno * segmentSize),
                files,
                count == 1
                        ? "segment " + first + " is not archived"
                        : count + " segments from " + first + " on are not archived");
    }

    /** Turns a run of contiguous segments into a range if a snapshot can start it; clears the run. */
    private void closeRun(List<SegmentRecord> run, List<SnapshotRecord> usable, List<Range> out) {
        if (run.isEmpty()) {
            return;
        }
        long a = run.get(0).name().segno();
        long b = run.get(run.size() - 1).name().segno();
        List<SnapshotRecord> in = usable.stream()
                .filter(s -> firstSegno(s) >= a && lastSegno(s) <= b)
                .toList();
        if (!in.isEmpty()) {
            SnapshotRecord first = in.get(0);
            List<SegmentRecord> segs = run.stream()
                    .filter(s -> s.name().segno() >= firstSegno(first))
                    .toList();
            // a snapshot's consistency point is restorable even when no transaction ended after it
            Instant end = in.stream()
                    .map(SnapshotRecord::stopTime)
                    .max(Comparator.naturalOrder())
                    .orElseThrow();
            boolean exact = true;
            for (SegmentRecord s : segs) {
                if (s.index() == null) {
                    exact = false;
                    if (s.archivedAt().isAfter(end)) {
                        end = s.archivedAt();
                    }
                } else if (s.index().lastEnd() != null && s.index().lastEnd().isAfter(end)) {
                    end = s.index().lastEnd();
                }
            }
            out.add(new Range(
                    in,
                    first.stopLsn(),
                    first.stopTime(),
                    segs.get(segs.size() - 1).endLsn(),
                    end,
                    segs,
                    exact));
        }
        run.clear();
    }

    long firstSegno(SnapshotRecord s) {
        return SegmentName.of(s.firstSegment(), segmentSize).segno();
    }

    long lastSegno(SnapshotRecord s) {
        return SegmentName.of(s.lastSegment(), segmentSize).segno();
    }

    long segmentSize() {
        return segmentSize;
    }
}
