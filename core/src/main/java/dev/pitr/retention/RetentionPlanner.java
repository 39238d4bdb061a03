package dev.pitr.retention;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.Extent;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentBlock;
import dev.pitr.catalog.SegmentBlocks;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotChain;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SnapshotRecord.Status;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.retention.RetentionPlan.SnapshotDecision;
import dev.pitr.retention.RetentionPlan.Stretch;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides what retention expires, from the catalog's records alone, and keeps by construction everything recovery
 * still needs:
 *
 * <ul>
 *   <li>Snapshots: the pinned ones, the grandfather-father-son picks, and on every timeline the window anchor: in each
 *       restorable range that reaches into the minimum window, the newest snapshot consistent by the window's start (or
 *       the range's first, if the range begins inside the window). Running snapshots are never touched; failed ones
 *       expire. A kept incremental keeps every snapshot of its chain (the chain counts as one pick); an incremental
 *       whose chain is broken is never a pick.
 *   <li>WAL: for each kept snapshot, the segments that bring it to consistency; for each anchor, every segment of its
 *       range from the anchor on; every segment from the newest complete snapshot or any running one on; and every
 *       segment archived inside the minimum window. Segment numbers are counted on every timeline, so branch points and
 *       the WAL of abandoned timelines in those stretches stay too. Timeline history files are never expired.
 * </ul>
 *
 * Without a complete snapshot nothing is expired.
 */
public final class RetentionPlanner {

    private RetentionPlanner() {}

    /** The plan over these records, as {@link #plan(Catalog, Instant, RetentionPolicy)} reads them. */
    public static RetentionPlan plan(
            List<SegmentRecord> segments,
            List<HistoryRecord> histories,
            List<SnapshotRecord> snapshots,
            Instant now,
            RetentionPolicy policy) {
        return over(
                SegmentBlocks.of(segments, List.of(), SegmentBlocks.cuts(histories, snapshots)),
                RestoreWindow.Segments.of(segments),
                histories,
                snapshots,
                now,
                policy);
    }

    /**
     * The plan for {@code catalog}: from its segment summaries, reading segment records only where the archive times
     * of an extent straddle the minimum window's start.
     */
    public static RetentionPlan plan(Catalog catalog, Instant now, RetentionPolicy policy) {
        for (int attempt = 0; ; attempt++) {
            try {
                return plan(catalog, catalog.segmentBlocks(), catalog.histories(), catalog.snapshots(), now, policy);
            } catch (RestoreWindow.StaleSummaryException e) {
                // records that contradict a summary: sum the block up again and plan anew
                if (attempt >= 16) {
                    throw e;
                }
                catalog.repairSegmentBlock(e.timeline(), e.number());
            }
        }
    }

    /** The plan for {@code catalog} over records already read from it. */
    public static RetentionPlan plan(
            Catalog catalog,
            List<SegmentBlock> blocks,
            List<HistoryRecord> histories,
            List<SnapshotRecord> snapshots,
            Instant now,
            RetentionPolicy policy) {
        return over(blocks, catalog::segments, histories, snapshots, now, policy);
    }

    private static RetentionPlan over(
            List<SegmentBlock> blocks,
            RestoreWindow.Segments source,
            List<HistoryRecord> histories,
            List<SnapshotRecord> snapshots,
            Instant now,
            RetentionPolicy policy) {
        Instant cut = now.minus(policy.minWindow());
        List<String> warnings = new ArrayList<>();
        Map<SnapshotId, List<String>> keep = new LinkedHashMap<>();
        List<SnapshotRecord> complete = snapshots.stream()
                .filter(s -> s.status() == Status.COMPLETE)
                .sorted(Comparator.comparing(SnapshotRecord::startTime).reversed())
                .toList();
        long segmentSize = blocks.stream()
                .filter(b -> b.count() > 0)
                .mapToLong(SegmentBlock::segmentSize)
                .findFirst()
                .orElse(0);

        for (SnapshotRecord s : snapshots) {
            if (s.pinned() && (s.status() == Status.COMPLETE || s.status() == Status.RUNNING)) {
                reason(keep, s, "pinned");
            } else if (s.status() == Status.RUNNING) {
                reason(keep, s, "running");
            }
        }
        // an incremental whose chain is broken cannot be restored: it is never one of the counted picks
        Function<SnapshotId, Optional<SnapshotRecord>> byId = SnapshotChain.lookup(snapshots);
        Map<SnapshotId, String> broken = new HashMap<>();
        for (SnapshotRecord s : complete) {
            SnapshotChain.resolve(s, byId).broken().ifPresent(b -> broken.put(s.id(), b.reason()));
        }
        List<SnapshotRecord> unpinned = complete.stream()
                .filter(s -> !s.pinned() && !broken.containsKey(s.id()))
                .toList();
        pick(unpinned, policy.daily(), s -> LocalDate.ofInstant(s.startTime(), policy.zone()), "daily", keep);
        pick(
                unpinned,
                policy.weekly(),
                s -> {
                    LocalDate d = LocalDate.ofInstant(s.startTime(), policy.zone());
                    return d.get(IsoFields.WEEK_BASED_YEAR) + "-W" + d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
                },
                "weekly",
                keep);
        pick(
                unpinned,
                policy.monthly(),
                s -> YearMonth.from(LocalDate.ofInstant(s.startTime(), policy.zone())),
                "monthly",
                keep);

        // what each timeline keeps, as stretches of segment numbers
        Map<TimelineId, List<long[]>> kept = new HashMap<>();
        Instant windowStart = now;
        if (!complete.isEmpty() && segmentSize > 0) {
            RestoreWindow window = RestoreWindow.of(blocks, histories, snapshots, source);
            for (TimelineId tli : window.timelines()) {
                for (RestoreWindow.Range r : window.timeline(tli).ranges()) {
                    if (r.endTime().isBefore(cut)) {
                        continue;
                    }
                    SnapshotRecord anchor = r.snapshots().get(0);
                    for (SnapshotRecord s : r.snapshots()) {
                        if (!s.stopTime().isAfter(cut)) {
                            anchor = s;
                        }
                    }
                    reason(keep, anchor, "window anchor on timeline " + tli);
                    long from = segno(anchor.firstSegment(), segmentSize);
                    for (Extent e : r.extents()) {
                        if (e.last() >= from) {
                            kept.computeIfAbsent(e.timeline(), k -> new ArrayList<>())
                                    .add(new long[] {Math.max(from, e.first()), e.last()});
                        }
                    }
                    Instant reach = anchor.stopTime().isAfter(cut) ? anchor.stopTime() : cut;
                    if (reach.isBefore(windowStart)) {
                        windowStart = reach;
                    }
                    if (anchor.stopTime().isAfter(cut)) {
                        warnings.add("timeline " + tli + " is restorable only from "
                                + RestoreTarget.postgresTime(anchor.stopTime())
                                + " on, later than the minimum window's start " + RestoreTarget.postgresTime(cut));
                    }
                }
            }
        }
        if (windowStart.equals(now)) {
            windowStart = null;
        }
        // a kept incremental is restored through its parents: its whole chain stays, one recovery point
        for (SnapshotRecord s : snapshots) {
            if (!keep.containsKey(s.id())) {
                continue;
            }
            SnapshotRecord at = s;
            Set<SnapshotId> seen = new HashSet<>();
            while (at.lineage().incremental() && seen.add(at.id())) {
                Optional<SnapshotRecord> parent = byId.apply(at.lineage().parent());
                if (parent.isEmpty() || parent.get().status() != Status.COMPLETE) {
                    break;
                }
                reason(keep, parent.get(), "in the chain of " + s.id());
                at = parent.get();
            }
        }

        long floor = Long.MAX_VALUE;
        if (!complete.isEmpty()) {
            SnapshotRecord newest = complete.stream()
                    .max(Comparator.comparing(SnapshotRecord::stopLsn))
                    .orElseThrow();
            floor = segno(newest.firstSegment(), segmentSize);
        } else {
            warnings.add("no complete snapshot: all WAL is kept");
        }
        List<long[]> everywhere = new ArrayList<>();
        for (SnapshotRecord s : snapshots) {
            if (s.firstSegment() == null || segmentSize == 0) {
                continue;
            }
            if (s.status() == Status.RUNNING) {
                floor = Math.min(floor, segno(s.firstSegment(), segmentSize));
            } else if (keep.containsKey(s.id()) && s.lastSegment() != null) {
                everywhere.add(new long[] {segno(s.firstSegment(), segmentSize), segno(s.lastSegment(), segmentSize)});
            }
        }
        if (floor != Long.MAX_VALUE) {
            everywhere.add(new long[] {floor, Long.MAX_VALUE});
        }

        List<Stretch> expired = new ArrayList<>();
        long total = 0;
        for (SegmentBlock b : blocks) {
            total += b.count();
            List<long[]> keepHere = new ArrayList<>(everywhere);
            keepHere.addAll(kept.getOrDefault(b.timeline(), List.of()));
            for (Extent e : b.extents()) {
                for (long[] free : subtract(e.first(), e.last(), keepHere)) {
                    // every segment archived inside the minimum window stays
                    if (!e.archivedFrom().isBefore(cut)) {
                        continue;
                    }
                    if (e.archivedTo().isBefore(cut)) {
                        add(expired, new Stretch(b.timeline(), free[0], free[1]));
                        continue;
                    }
                    for (SegmentRecord s : source.read(b.timeline(), free[0], free[1])) {
                        if (s.archivedAt().isBefore(cut)) {
                            long n = s.name().segno();
                            add(expired, new Stretch(b.timeline(), n, n));
                        }
                    }
                }
            }
            for (SegmentBlock.Unreadable u : b.unreadable()) {
                if (!subtract(u.segno(), u.segno(), keepHere).isEmpty()
                        && u.archivedAt().isBefore(cut)) {
                    add(expired, new Stretch(b.timeline(), u.segno(), u.segno()));
                }
            }
        }
        expired.sort(Comparator.comparing(Stretch::timeline).thenComparingLong(Stretch::first));
        List<Stretch> merged = new ArrayList<>();
        expired.forEach(x -> add(merged, x));
        long expiredCount = merged.stream().mapToLong(Stretch::count).sum();

        List<SnapshotDecision> decisions = new ArrayList<>();
        for (SnapshotRecord s : snapshots) {
            switch (s.status()) {
                case COMPLETE, RUNNING -> {
                    List<String> why = keep.get(s.id());
                    decisions.add(
                            why == null
                                    ? new SnapshotDecision(
                                            s,
                                            false,
                                            List.of(
                                                    broken.containsKey(s.id())
                                                            ? broken.get(s.id())
                                                            : "beyond the daily, weekly and monthly counts and the window"))
                                    : new SnapshotDecision(s, true, why));
                }
                case FAILED -> decisions.add(new SnapshotDecision(s, false, List.of("failed")));
                case EXPIRED, REMOVED -> {}
            }
        }
        return new RetentionPlan(
                now, policy, decisions, merged, total - expiredCount, windowStart, warnings, segmentSize, source);
    }

    /** Appends {@code s}, joined to the last stretch when it follows it directly. */
    private static void add(List<Stretch> out, Stretch s) {
        Stretch last = out.isEmpty() ? null : out.get(out.size() - 1);
        if (last != null && last.timeline().equals(s.timeline()) && last.last() + 1 == s.first()) {
            out.set(out.size() - 1, new Stretch(s.timeline(), last.first(), s.last()));
        } else {
            out.add(s);
        }
    }

    /** The parts of {@code a..z} outside every one of {@code keep} (inclusive pairs). */
    private static List<long[]> subtract(long a, long z, List<long[]> keep) {
        List<long[]> out = new ArrayList<>();
        out.add(new long[] {a, z});
        for (long[] k : keep) {
            List<long[]> next = new ArrayList<>();
            for (long[] f : out) {
                if (k[1] < f[0] || k[0] > f[1]) {
                    next.add(f);
                    continue;
                }
                if (f[0] < k[0]) {
                    next.add(new long[] {f[0], k[0] - 1});
                }
                if (k[1] < f[1]) {
                    next.add(new long[] {k[1] + 1, f[1]});
                }
            }
            out = next;
        }
        return out;
    }

    /** Keeps the newest snapshot of each of the {@code count} newest periods that have one. */
    private static void pick(
            List<SnapshotRecord> newestFirst,
            int count,
            Function<SnapshotRecord, Object> period,
            String kind,
            Map<SnapshotId, List<String>> keep) {
        Set<Object> seen = new HashSet<>();
        for (SnapshotRecord s : newestFirst) {
            if (seen.size() == count) {
                return;
            }
            Object p = period.apply(s);
            if (seen.add(p)) {
                reason(keep, s, kind + " " + p);
            }
        }
    }

    private static void reason(Map<SnapshotId, List<String>> keep, SnapshotRecord s, String why) {
        keep.computeIfAbsent(s.id(), k -> new ArrayList<>()).add(why);
    }

    private static long segno(WalFileName fileName, long segmentSize) {
        return SegmentName.of(fileName, segmentSize).segno();
    }
}
