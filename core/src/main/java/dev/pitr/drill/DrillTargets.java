package dev.pitr.drill;

import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.RestoreWindow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Where a drill restores to when it is not told: a time at random in the newest timeline's window. The window is cut
 * into stretches, one per snapshot, from the time it is consistent to the next one's (or the window's end); a drill
 * picks a stretch at random, never the one the last drill restored from when there is another, then a time in it. So
 * drills in turn exercise every snapshot a restore may start from, and the WAL after each.
 */
public final class DrillTargets {

    private DrillTargets() {}

    /** One snapshot's stretch of the window: times from {@code from} (included) to {@code to} (excluded). */
    public record Stretch(SnapshotRecord snapshot, Instant from, Instant to) {}

    /** The stretches of the newest timeline's window, oldest first; a stretch with no time in it is left out. */
    public static List<Stretch> stretches(RestoreWindow window) {
        List<Stretch> out = new ArrayList<>();
        if (window.timelines().isEmpty()) {
            return out;
        }
        RestoreWindow.Timeline newest =
                window.timeline(window.timelines().get(window.timelines().size() - 1));
        // where the time index covers a range, its end is the last commit; elsewhere it is only when the WAL arrived,
        // and a time there may have no commit after it to stop at
        List<RestoreWindow.Range> ranges =
                newest.ranges().stream().filter(RestoreWindow.Range::exactTimes).toList();
        for (RestoreWindow.Range r : ranges.isEmpty() ? newest.ranges() : ranges) {
            List<SnapshotRecord> snaps = r.snapshots().stream()
                    .filter(s -> s.stopTime() != null)
                    .sorted(Comparator.comparing(SnapshotRecord::stopTime))
                    .toList();
            for (int i = 0; i < snaps.size(); i++) {
                Instant from = max(snaps.get(i).stopTime(), r.startTime());
                // a time target stops before the first commit after it: the range's last commit must come later
                Instant to = i + 1 < snaps.size() ? snaps.get(i + 1).stopTime() : r.endTime();
                if (to.isAfter(r.endTime())) {
                    to = r.endTime();
                }
                if (from.isBefore(to)) {
                    out.add(new Stretch(snaps.get(i), from, to));
                }
            }
        }
        return out;
    }

    /**
     * A time at random in a stretch at random, not the stretch of {@code lastSnapshot} (the last drill's) when another
     * is there.
     *
     * @throws PitrException {@code target-outside-window} when the window holds no time to restore to
     */
    public static RestoreTarget.Time pick(RestoreWindow window, String lastSnapshot, RandomGenerator random) {
        List<Stretch> all = stretches(window);
        if (all.isEmpty()) {
            throw new PitrException(
                    ErrorCode.TARGET_OUTSIDE_WINDOW,
                    "the archive holds no time a drill could restore to: no complete snapshot with WAL archived after"
                            + " it",
                    "take a snapshot ('pitr snapshot create') and let some transactions be archived after it;"
                            + " 'pitr restore-window' shows what is restorable");
        }
        List<Stretch> others = all.stream()
                .filter(s -> !s.snapshot().id().value().equals(lastSnapshot))
                .toList();
        List<Stretch> from = others.isEmpty() ? all : others;
        Stretch s = from.get(random.nextInt(from.size()));
        long micros = Duration.between(s.from(), s.to()).toNanos() / 1000;
        // whole microseconds: the precision of the commit times it is compared with
        Instant at = s.from().plusNanos(random.nextLong(Math.max(1, micros)) * 1000);
        return new RestoreTarget.Time(at);
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
