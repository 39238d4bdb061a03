package dev.pitr.restore;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.Extent;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentBlock;
import dev.pitr.catalog.SegmentBlocks;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotChain;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.TimelineId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
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
        MISSING_HISTORY,
        /** A complete incremental snapshot whose chain of parents is broken: it cannot be restored. */
        BROKEN_CHAIN
    }

    /** A stretch of the timeline's WAL that cannot be replayed through, from {@code from} to {@code to} (exclusive). */
    public record Gap(GapKind kind, Lsn from, Lsn to, List<String> files, String detail) {}

    /** Reads the segment records of one timeline from {@code from} to {@code to} (inclusive), by segment number. */
    @FunctionalInterface
    public interface Segments {
        List<SegmentRecord> read(TimelineId timeline, long from, long to);

        /** Reads from {@code records}, held in memory. */
        static Segments of(List<SegmentRecord> records) {
            Map<TimelineId, TreeMap<Long, SegmentRecord>> byTimeline = new HashMap<>();
            records.forEach(s -> byTimeline
                    .computeIfAbsent(s.name().timeline(), k -> new TreeMap<>())
                    .put(s.name().segno(), s));
            return (t, from, to) -> List.copyOf(byTimeline
                    .getOrDefault(t, new TreeMap<>())
                    .subMap(from, true, to, true)
                    .values());
        }
    }

    /**
     * A summary that does not match the segment records it sums up, found when the records were read: the catalog sums
     * block {@code number} of {@code timeline} up again and the window is read anew ({@link #repairing}).
     */
    public static final class StaleSummaryException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient TimelineId timeline;
        private final long number;

        StaleSummaryException(TimelineId timeline, long number, String message) {
            super(message);
            this.timeline = timeline;
            this.number = number;
        }

        public TimelineId timeline() {
            return timeline;
        }

        public long number() {
            return number;
        }
    }

    /**
     * A stretch restorable to any point: from the consistency point of its earliest snapshot ({@code start*}) to the last
     * transaction end archived in it ({@code endTime}) and the end of its last segment ({@code endLsn}). {@code extents}
     * sum up the WAL of the stretch in replay order, from the earliest snapshot's first segment on; its segment records
     * are read only when asked for ({@link #segments(long, long)}). {@code exactTimes} is false when some of it was
     * archived before the time index existed, so {@code endTime} is when it was archived.
     */
    public record Range(
            List<SnapshotRecord> snapshots,
            Lsn startLsn,
            Instant startTime,
            Lsn endLsn,
            Instant endTime,
            List<Extent> extents,
            boolean exactTimes,
            Segments source) {

        public Range {
            snapshots = List.copyOf(snapshots);
            extents = List.copyOf(extents);
        }

        public long firstSegno() {
            return extents.get(0).first();
        }

        public long lastSegno() {
            return extents.get(extents.size() - 1).last();
        }

        /** How many segments the range holds. */
        public long segmentCount() {
            return extents.stream().mapToLong(Extent::count).sum();
        }

        /** The restore points archived in the range, in WAL order. */
        public List<Extent.Point> restorePoints() {
            return extents.stream().flatMap(e -> e.points().stream()).toList();
        }

        /** Every segment record of the range, read from the catalog. */
        public List<SegmentRecord> segments() {
            return segments(firstSegno(), lastSegno());
        }

        /** The range's segment records from {@code segno} on, read from the catalog. */
        public List<SegmentRecord> from(long segno) {
            return segments(segno, lastSegno());
        }

        /**
         * The range's segment records numbered {@code from} to {@code to}, read from the catalog, one read per extent.
         * Records that do not match the summary (a segment missing, or another than it says) throw {@link
         * StaleSummaryException}: nothing is planned from a summary its records contradict.
         */
        public List<SegmentRecord> segments(long from, long to) {
            List<SegmentRecord> out = new ArrayList<>();
            for (Extent e : extents) {
                long a = Math.max(from, e.first());
                long b = Math.min(to, e.last());
                if (a > b) {
                    continue;
                }
                List<SegmentRecord> read = source.read(e.timeline(), a, b);
                long expect = a;
                for (SegmentRecord s : read) {
                    boolean bad = s.index() != null && s.index().problem() != null;
                    if (s.name().segno() != expect || bad) {
                        break;
                    }
                    out.add(s);
                    expect++;
                }
                if (expect != b + 1) {
                    long number = (e.endLsn().value() - 1) >>> SegmentBlock.BLOCK_SHIFT;
                    throw new StaleSummaryException(
                            e.timeline(),
                            number,
                            "the summary of timeline " + e.timeline() + " says segments " + a + " to " + b
                                    + " are archived and readable, but segment " + expect + " is not");
                }
            }
            return out;
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
    private final Map<TimelineId, TreeMap<Long, SegmentBlock>> blocks = new HashMap<>();
    private final List<SnapshotRecord> snapshots;
    private final List<SnapshotChain.Broken> broken = new ArrayList<>();
    private final Map<dev.pitr.catalog.SnapshotId, SnapshotChain> chains = new HashMap<>();
    private final TreeSet<TimelineId> timelines = new TreeSet<>();
    private final boolean anyExpired;
    private final long segmentSize;
    private final Segments source;

    private RestoreWindow(
            List<SegmentBlock> summaries, List<HistoryRecord> hist, List<SnapshotRecord> snaps, Segments source) {
        this.source = remembering(source);
        long size = 0;
        boolean expired = false;
        for (SegmentBlock b : summaries) {
            blocks.computeIfAbsent(b.timeline(), k -> new TreeMap<>()).put(b.number(), b);
            if (b.count() > 0) {
                timelines.add(b.timeline());
                size = b.segmentSize();
            }
            expired |= !b.expired().isEmpty();
        }
        this.anyExpired = expired;
        for (HistoryRecord h : hist) {
            histories.put(h.timeline(), h);
            parsed.put(h.timeline(), h.parsed());
            timelines.add(h.timeline());
        }
        List<SnapshotRecord> complete = new ArrayList<>();
        Function<dev.pitr.catalog.SnapshotId, java.util.Optional<SnapshotRecord>> byId = SnapshotChain.lookup(snaps);
        for (SnapshotRecord s : snaps) {
            if (s.status() == SnapshotRecord.Status.COMPLETE) {
                SnapshotChain.Resolved r = SnapshotChain.resolve(s, byId);
                r.broken().ifPresent(broken::add);
                r.chain().ifPresent(c -> {
                    complete.add(s);
                    chains.put(s.id(), c);
                });
            }
        }
        snapshots = complete.stream()
                .sorted(Comparator.comparing(SnapshotRecord::stopLsn))
                .toList();
        snapshots.forEach(s -> timelines.add(s.timeline()));
        segmentSize = size;
    }

    /**
     * Reads what the window needs from {@code catalog}: the segment summaries, every history and snapshot record, and
     * the segments still being written as far as they were shipped ({@link PartialSegment#asSegment}), where no complete
     * one is archived under the same name. Segment records are read only for what a caller asks of a {@link Range}.
     */
    public static RestoreWindow of(Catalog catalog) {
        return of(catalog, catalog.segmentBlocks(), catalog.histories(), catalog.snapshots());
    }

    /** The window of {@code catalog} over records already read from it, as {@link #of(Catalog)} reads them. */
    public static RestoreWindow of(
            Catalog catalog, List<SegmentBlock> blocks, List<HistoryRecord> hist, List<SnapshotRecord> snaps) {
        List<SegmentBlock> summaries = new ArrayList<>(blocks);
        Map<String, SegmentRecord> partials = new HashMap<>();
        for (PartialSegment p : catalog.partials()) {
            SegmentRecord s = p.asSegment();
            long number = SegmentBlock.numberOf(s.startLsn());
            int at = -1;
            for (int i = 0; i < summaries.size(); i++) {
                SegmentBlock b = summaries.get(i);
                if (b.timeline().equals(s.name().timeline()) && b.number() == number) {
                    at = i;
                }
            }
            SegmentBlock b = at < 0 ? SegmentBlock.empty(s.name().timeline(), number) : summaries.get(at);
            if (b.holds(s.name().segno()) || b.isExpired(s.name().segno())) {
                continue;
            }
            partials.put(s.name().fileName(), s);
            if (at < 0) {
                summaries.add(b.with(s));
            } else {
                summaries.set(at, b.with(s));
            }
        }
        Segments read = (t, from, to) -> {
            List<SegmentRecord> out = new ArrayList<>(catalog.segments(t, from, to));
            for (SegmentRecord p : partials.values()) {
                if (p.name().timeline().equals(t)
                        && from <= p.name().segno()
                        && p.name().segno() <= to) {
                    out.add(p);
                }
            }
            out.sort(Comparator.comparingLong(x -> x.name().segno()));
            return out;
        };
        return new RestoreWindow(summaries, hist, snaps, read);
    }

    /** The window over these records, as {@link #of(Catalog)} reads them. */
    public static RestoreWindow of(List<SegmentRecord> segs, List<HistoryRecord> hist, List<SnapshotRecord> snaps) {
        return new RestoreWindow(
                SegmentBlocks.of(segs, List.of(), SegmentBlocks.cuts(hist, snaps)), hist, snaps, Segments.of(segs));
    }

    /** The window over these summaries, reading segment records from {@code source}. */
    public static RestoreWindow of(
            List<SegmentBlock> summaries, List<HistoryRecord> hist, List<SnapshotRecord> snaps, Segments source) {
        return new RestoreWindow(summaries, hist, snaps, source);
    }

    /**
     * Runs {@code use} on the window of {@code catalog}; where it finds a summary its segment records contradict, the
     * catalog sums that block up again and {@code use} runs on the window read anew.
     */
    public static <T> T repairing(Catalog catalog, Function<RestoreWindow, T> use) {
        for (int attempt = 0; ; attempt++) {
            try {
                return use.apply(of(catalog));
            } catch (StaleSummaryException e) {
                if (attempt >= 16) {
                    throw e;
                }
                catalog.repairSegmentBlock(e.timeline(), e.number());
            }
        }
    }

    /** Every timeline the archive knows, oldest first. */
    public List<TimelineId> timelines() {
        return List.copyOf(timelines);
    }

    /** The complete snapshots whose chain is whole, by consistency point. */
    public List<SnapshotRecord> snapshots() {
        return snapshots;
    }

    /** What a restore of {@code s}, one of {@link #snapshots()}, lays down: its full and the incrementals above it. */
    public SnapshotChain chain(SnapshotRecord s) {
        SnapshotChain c = chains.get(s.id());
        if (c == null) {
            throw new IllegalArgumentException("snapshot " + s.id() + " is not a usable snapshot of this window");
        }
        return c;
    }

    /** The complete incrementals that cannot be restored, each with why. */
    public List<SnapshotChain.Broken> brokenChains() {
        return List.copyOf(broken);
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
        for (SnapshotChain.Broken b : broken) {
            if (path.holds(b.snapshot())) {
                gaps.add(new Gap(
                        GapKind.BROKEN_CHAIN,
                        b.snapshot().startLsn(),
                        b.snapshot().stopLsn(),
                        List.of(b.snapshot().id().value()),
                        b.reason() + "; restore from an earlier snapshot, or take a full one"));
            }
        }
        List<SnapshotRecord> usable =
                snapshots.stream().filter(path::holds).filter(use).toList();
        List<Range> ranges = new ArrayList<>();
        boolean walAfter = false;
        if (!usable.isEmpty() && segmentSize > 0) {
            long lo = usable.stream().mapToLong(this::firstSegno).min().orElseThrow();
            List<Object> onPath = onPath(path, lo, usable);
            List<Extent> run = new ArrayList<>();
            long expect = lo;
            for (Object piece : onPath) {
                long first = piece instanceof Extent e ? e.first() : ((Bad) piece).segno();
                long last = piece instanceof Extent e ? e.last() : first;
                if (first != expect) {
                    gaps.add(missing(path, expect, first));
                    closeRun(run, usable, ranges);
                }
                if (piece instanceof Bad u) {
                    Lsn from = new Lsn(u.segno() * segmentSize);
                    gaps.add(new Gap(
                            GapKind.UNREADABLE_SEGMENT,
                            from,
                            from.plus(segmentSize),
                            List.of(u.fileName()),
                            "segment " + u.fileName() + " is archived but could not be read as WAL: " + u.problem()));
                    closeRun(run, usable, ranges);
                } else {
                    Extent e = (Extent) piece;
                    if (!run.isEmpty() && run.get(run.size() - 1).partialEnd(segmentSize)) {
                        closeRun(run, usable, ranges);
                    }
                    run.add(e);
                }
                expect = last + 1;
            }
            if (onPath.isEmpty()) {
                gaps.add(missing(path, lo, lo + 1));
            }
            closeRun(run, usable, ranges);
            if (!onPath.isEmpty()) {
                long lastArchived = expect - 1;
                walAfter = ranges.isEmpty()
                        || lastArchived > ranges.get(ranges.size() - 1).lastSegno();
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
        boolean retention = anyExpired;
        for (long n = fromSegno; n < toSegno && retention; n++) {
            SegmentName f = path.segment(n, segmentSize);
            SegmentBlock b =
                    blocks.getOrDefault(f.timeline(), new TreeMap<>()).get(SegmentBlock.numberOf(f.startLsn()));
            retention = b != null && b.isExpired(n);
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

    /**
     * {@code source}, remembering what it read: a plan reads the extent that holds its target and then lists the WAL
     * up to it, and each record is read once.
     */
    private static Segments remembering(Segments source) {
        Map<TimelineId, TreeMap<Long, SegmentRecord>> read = new HashMap<>();
        return (t, from, to) -> {
            TreeMap<Long, SegmentRecord> known = read.computeIfAbsent(t, k -> new TreeMap<>());
            java.util.NavigableMap<Long, SegmentRecord> have = known.subMap(from, true, to, true);
            if (to - from + 1 == have.size()) {
                return List.copyOf(have.values());
            }
            List<SegmentRecord> got = source.read(t, from, to);
            got.forEach(r -> known.put(r.name().segno(), r));
            return got;
        };
    }

    /** An unreadable segment on the path. */
    private record Bad(long segno, String fileName, String problem) {}

    /**
     * The extents and unreadable segments recovery reads on {@code path} from segment {@code lo} on, by segment number:
     * each timeline's only up to where the next one branched off, and split where a usable snapshot's WAL starts.
     */
    private List<Object> onPath(WalPath path, long lo, List<SnapshotRecord> usable) {
        TreeSet<Long> starts = new TreeSet<>();
        usable.forEach(s -> starts.add(firstSegno(s)));
        List<Object> out = new ArrayList<>();
        List<WalPath.Step> steps = path.steps();
        for (int i = 0; i < steps.size(); i++) {
            WalPath.Step step = steps.get(i);
            long from = Math.max(lo, step.begin().value() / segmentSize);
            long to = i + 1 < steps.size() ? steps.get(i + 1).begin().value() / segmentSize - 1 : Long.MAX_VALUE;
            if (from > to) {
                continue;
            }
            for (SegmentBlock b :
                    blocks.getOrDefault(step.timeline(), new TreeMap<>()).values()) {
                for (Extent e : b.extents()) {
                    if (e.last() >= from && e.first() <= to) {
                        out.addAll(clip(b, e, from, to, starts));
                    }
                }
                for (SegmentBlock.Unreadable u : b.unreadable()) {
                    if (from <= u.segno() && u.segno() <= to) {
                        String name = new SegmentName(step.timeline(), u.segno(), segmentSize).fileName();
                        out.add(new Bad(u.segno(), name, u.problem()));
                    }
                }
            }
        }
        out.sort(Comparator.comparingLong(p -> p instanceof Extent e ? e.first() : ((Bad) p).segno()));
        return out;
    }

    /**
     * The part of {@code e} from {@code from} to {@code to}, split where a range may start. The catalog cuts extents at
     * every snapshot's start and branch point, so this is {@code e} itself but where a summary predates a cut; then the
     * part is summed up again from its segment records.
     */
    private List<Extent> clip(SegmentBlock b, Extent e, long from, long to, NavigableSet<Long> starts) {
        Long inside = starts.higher(e.first());
        if (e.first() >= from && e.last() <= to && (inside == null || inside > e.last())) {
            return List.of(e);
        }
        long a = Math.max(from, e.first());
        long z = Math.min(to, e.last());
        List<SegmentRecord> read = source.read(e.timeline(), a, z);
        if (read.size() != z - a + 1) {
            throw new StaleSummaryException(
                    b.timeline(),
                    b.number(),
                    "the summary of " + b.describe() + " says segments " + a + " to " + z + " are archived, but "
                            + read.size() + " of them are");
        }
        List<Lsn> cuts = starts.stream().map(n -> new Lsn(n * segmentSize)).toList();
        return SegmentBlock.of(b.timeline(), b.number(), segmentSize, read, cuts, List.of())
                .extents();
    }

    /** Turns a run of contiguous extents into a range if a snapshot can start it; clears the run. */
    private void closeRun(List<Extent> run, List<SnapshotRecord> usable, List<Range> out) {
        if (run.isEmpty()) {
            return;
        }
        long a = run.get(0).first();
        long b = run.get(run.size() - 1).last();
        List<SnapshotRecord> in = usable.stream()
                .filter(s -> firstSegno(s) >= a && lastSegno(s) <= b)
                .toList();
        if (!in.isEmpty()) {
            SnapshotRecord first = in.get(0);
            long from = firstSegno(first);
            List<Extent> ext = run.stream().filter(e -> e.first() >= from).toList();
            // a snapshot's consistency point is restorable even when no transaction ended after it
            Instant end = in.stream()
                    .map(SnapshotRecord::stopTime)
                    .max(Comparator.naturalOrder())
                    .orElseThrow();
            boolean exact = true;
            for (Extent e : ext) {
                exact &= e.exact();
                Instant reach = e.reach();
                if (reach != null && reach.isAfter(end)) {
                    end = reach;
                }
            }
            out.add(new Range(
                    in,
                    first.stopLsn(),
                    first.stopTime(),
                    ext.get(ext.size() - 1).endLsn(),
                    end,
                    ext,
                    exact,
                    source));
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
