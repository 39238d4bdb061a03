package dev.pitr.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.wal.TimelineId;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Retention over random archive histories ({@link ArchiveHistory}), each checked against the restorable window before
 * and after: what the window could restore inside the minimum window it still can; every kept snapshot can still be
 * restored to its consistency point; nothing pinned goes; the daily, weekly and monthly picks are the newest of their
 * periods, and no more than the counts.
 */
class RetentionPlannerTest {

    private static final int HISTORIES = 400;

    @Test
    void randomHistoriesKeepTheWindowTheSnapshotsAndThePins() {
        int expiredSomething = 0;
        for (long seed = 1; seed <= HISTORIES; seed++) {
            ArchiveHistory h = new ArchiveHistory(seed);
            Random r = new Random(seed * 31);
            RetentionPolicy policy = new RetentionPolicy(
                    1 + r.nextInt(7),
                    r.nextInt(5),
                    r.nextInt(4),
                    Duration.ofMinutes(30 + r.nextInt(3 * 24 * 60)),
                    Duration.ofHours(r.nextInt(48)),
                    ZoneId.of("UTC"));
            RetentionPlan plan = RetentionPlanner.plan(h.segments, h.histories, h.snapshots, h.now, policy);
            try {
                check(h, policy, plan);
            } catch (AssertionError e) {
                fail(h.description + ", policy " + policy.describe() + ": " + e.getMessage(), e);
            }
            if (!plan.expiredSegments().isEmpty()) {
                expiredSomething++;
            }
        }
        // the generator must make retention do work, or the properties prove nothing
        assertTrue(expiredSomething > HISTORIES / 2, "only " + expiredSomething + " histories expired any WAL");
    }

    private static void check(ArchiveHistory h, RetentionPolicy policy, RetentionPlan plan) {
        Set<String> expiredNames = new HashSet<>();
        plan.expiredSegments().forEach(s -> expiredNames.add(s.name().fileName()));
        List<SegmentRecord> after = h.segments.stream()
                .filter(s -> !expiredNames.contains(s.name().fileName()))
                .toList();
        List<SnapshotRecord> kept = plan.keptSnapshots();
        RestoreWindow before = RestoreWindow.of(h.segments, h.histories, h.snapshots);
        RestoreWindow then = RestoreWindow.of(after, h.histories, kept);
        Instant cut = h.now.minus(policy.minWindow());

        // every point of the minimum window restorable before is restorable after, on every timeline
        for (TimelineId tli : before.timelines()) {
            RestoreWindow.Timeline was = before.timeline(tli);
            RestoreWindow.Timeline is = then.timeline(tli);
            for (Instant p : probes(was, cut, h.now)) {
                if (restorable(was, p)) {
                    assertTrue(restorable(is, p), "timeline " + tli + ": " + p + " was restorable and is not");
                }
            }
            // every kept snapshot on it still reaches consistency
            for (SnapshotRecord s : kept) {
                if (s.timeline().equals(tli)
                        && s.status() == SnapshotRecord.Status.COMPLETE
                        && restorable(was, s.stopTime())) {
                    assertTrue(restorable(is, s.stopTime()), "kept snapshot " + s.id() + " can no longer be restored");
                }
            }
        }
        // pins and running snapshots stay; failed ones go
        for (SnapshotRecord s : h.snapshots) {
            boolean isKept = kept.contains(s);
            if ((s.pinned() && s.status() == SnapshotRecord.Status.COMPLETE)
                    || s.status() == SnapshotRecord.Status.RUNNING) {
                assertTrue(isKept, s.id() + " (" + s.status() + ", " + s.retention() + ") was expired");
            }
            if (s.status() == SnapshotRecord.Status.FAILED) {
                assertTrue(!isKept, "failed snapshot " + s.id() + " was kept");
            }
        }
        // the newest complete snapshot of each of the newest periods is kept
        List<SnapshotRecord> unpinned = h.snapshots.stream()
                .filter(s -> s.status() == SnapshotRecord.Status.COMPLETE && !s.pinned())
                .sorted((a, b) -> b.startTime().compareTo(a.startTime()))
                .toList();
        Set<SnapshotRecord> gfs = new HashSet<>();
        gfs.addAll(newestOfPeriods(unpinned, policy.daily(), s -> day(s)));
        gfs.addAll(newestOfPeriods(
                unpinned,
                policy.weekly(),
                s -> day(s).get(IsoFields.WEEK_BASED_YEAR) * 100 + day(s).get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)));
        gfs.addAll(newestOfPeriods(unpinned, policy.monthly(), s -> day(s).withDayOfMonth(1)));
        for (SnapshotRecord s : gfs) {
            assertTrue(kept.contains(s), "GFS pick " + s.id() + " was expired");
        }
        // and nothing more than those, the pins, the running ones and the window anchors (at most one per range)
        long anchors = plan.snapshots().stream()
                .filter(d -> d.keep() && d.reasons().stream().allMatch(x -> x.startsWith("window anchor")))
                .count();
        long ranges = before.timelines().stream()
                .mapToLong(t -> before.timeline(t).ranges().size())
                .sum();
        assertTrue(anchors <= ranges, anchors + " anchors for " + ranges + " ranges");
        long gfsOnly = plan.snapshots().stream()
                .filter(d -> d.keep()
                        && d.reasons().stream()
                                .allMatch(x ->
                                        x.startsWith("daily") || x.startsWith("weekly") || x.startsWith("monthly")))
                .count();
        assertTrue(gfsOnly <= policy.daily() + policy.weekly() + policy.monthly());
        assertEquals(
                gfs.size(),
                plan.snapshots().stream()
                        .filter(d -> d.keep()
                                && d.reasons().stream()
                                        .anyMatch(x -> x.startsWith("daily")
                                                || x.startsWith("weekly")
                                                || x.startsWith("monthly")))
                        .count());
        // nothing archived inside the window is expired
        for (SegmentRecord s : plan.expiredSegments()) {
            assertTrue(s.archivedAt().isBefore(cut), s.name() + " was archived inside the window");
        }
    }

    private static LocalDate day(SnapshotRecord s) {
        return LocalDate.ofInstant(s.startTime(), ZoneId.of("UTC"));
    }

    private static List<SnapshotRecord> newestOfPeriods(
            List<SnapshotRecord> newestFirst, int count, Function<SnapshotRecord, Object> period) {
        LinkedHashSet<Object> seen = new LinkedHashSet<>();
        List<SnapshotRecord> out = new ArrayList<>();
        for (SnapshotRecord s : newestFirst) {
            if (seen.size() == count) {
                break;
            }
            if (seen.add(period.apply(s))) {
                out.add(s);
            }
        }
        return out;
    }

    /** Points to try: the window's edges, every range's edges inside it, and a hundred points between. */
    private static List<Instant> probes(RestoreWindow.Timeline t, Instant from, Instant to) {
        List<Instant> out = new ArrayList<>(List.of(from, to));
        for (RestoreWindow.Range r : t.ranges()) {
            out.add(r.startTime());
            out.add(r.endTime());
        }
        long step = Math.max(1, Duration.between(from, to).toSeconds() / 100);
        for (Instant p = from; p.isBefore(to); p = p.plusSeconds(step)) {
            out.add(p);
        }
        return out.stream().filter(p -> !p.isBefore(from) && !p.isAfter(to)).toList();
    }

    private static boolean restorable(RestoreWindow.Timeline t, Instant p) {
        return t.ranges().stream().anyMatch(r -> !p.isBefore(r.startTime()) && !p.isAfter(r.endTime()));
    }
}
