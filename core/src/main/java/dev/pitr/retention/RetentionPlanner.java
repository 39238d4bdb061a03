package dev.pitr.retention;

import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SnapshotRecord.Status;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.retention.RetentionPlan.SnapshotDecision;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 *       expire.
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

    public static RetentionPlan plan(
            List<SegmentRecord> segments,
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
        long segmentSize = segments.isEmpty() ? 0 : segments.get(0).name().segmentSize();

        for (SnapshotRecord s : snapshots) {
            if (s.pinned() && (s.status() == Status.COMPLETE || s.status() == Status.RUNNING)) {
                reason(keep, s, "pinned");
            } else if (s.status() == Status.RUNNING) {
                reason(keep, s, "running");
            }
        }
        List<SnapshotRecord> unpinned =
                complete.stream().filter(s -> !s.pinned()).toList();
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

        Set<String> keepSegments = new HashSet<>();
        Instant windowStart = now;
        if (!complete.isEmpty() && segmentSize > 0) {
            RestoreWindow window = RestoreWindow.of(segments, histories, snapshots);
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
                    r.from(from).forEach(s -> keepSegments.add(s.name().fileName()));
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

        long floor = Long.MAX_VALUE;
        if (!complete.isEmpty()) {
            SnapshotRecord newest = complete.stream()
                    .max(Comparator.comparing(SnapshotRecord::stopLsn))
                    .orElseThrow();
            floor = segno(newest.firstSegment(), segmentSize);
        } else {
            warnings.add("no complete snapshot: all WAL is kept");
        }
        List<long[]> consistency = new ArrayList<>();
        for (SnapshotRecord s : snapshots) {
            if (s.firstSegment() == null || segmentSize == 0) {
                continue;
            }
            if (s.status() == Status.RUNNING) {
                floor = Math.min(floor, segno(s.firstSegment(), segmentSize));
            } else if (keep.containsKey(s.id()) && s.lastSegment() != null) {
                consistency.add(new long[] {segno(s.firstSegment(), segmentSize), segno(s.lastSegment(), segmentSize)});
            }
        }

        List<SegmentRecord> expired = new ArrayList<>();
        int kept = 0;
        for (SegmentRecord s : segments) {
            long n = s.name().segno();
            boolean needed = n >= floor
                    || keepSegments.contains(s.name().fileName())
                    || !s.archivedAt().isBefore(cut)
                    || consistency.stream().anyMatch(c -> n >= c[0] && n <= c[1]);
            if (needed) {
                kept++;
            } else {
                expired.add(s);
            }
        }

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
                                            List.of("beyond the daily, weekly and monthly counts and the window"))
                                    : new SnapshotDecision(s, true, why));
                }
                case FAILED -> decisions.add(new SnapshotDecision(s, false, List.of("failed")));
                case EXPIRED, REMOVED -> {}
            }
        }
        return new RetentionPlan(now, policy, decisions, expired, kept, windowStart, warnings);
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
