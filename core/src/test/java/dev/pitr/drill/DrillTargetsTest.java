package dev.pitr.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Drill targets over a synthetic window: segments 2 to 10 of timeline 1, segment {@code n} holding transaction ends
 * from {@code T0 + 10n s} to {@code T0 + 10n + 9 s}; snapshot A consistent in segment 2, B in segment 6.
 */
class DrillTargetsTest {

    static final long SEG = 16L << 20;
    static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    static final TimelineId ONE = TimelineId.of(1);

    static Instant at(long segno, long second) {
        return T0.plusSeconds(10 * segno + second);
    }

    static SegmentRecord segment(long n) {
        SegmentName name = new SegmentName(ONE, n, SEG);
        return new SegmentRecord(
                name,
                SEG,
                SEG / 10,
                "sha" + n,
                "wal/" + name.fileName(),
                null,
                at(n, 10),
                new SegmentIndex(at(n, 0), at(n, 9), 100 * n, 100 * n + 99, 100, List.of(), null));
    }

    static SnapshotRecord snapshot(String id, long seg) {
        return new SnapshotRecord(
                new SnapshotId(id),
                id,
                SnapshotRecord.Status.COMPLETE,
                ONE,
                new Lsn(seg * SEG + 0x28),
                new Lsn(seg * SEG + 0x1000),
                at(seg, 1),
                at(seg, 3),
                new SegmentName(ONE, seg, SEG).walFileName(),
                new SegmentName(ONE, seg, SEG).walFileName(),
                1000,
                100,
                "s",
                "snapshots/" + id,
                null,
                null,
                RetentionState.RETAINED);
    }

    private static RestoreWindow window(List<SnapshotRecord> snaps) {
        List<SegmentRecord> segs = new ArrayList<>();
        for (long n = 2; n <= 10; n++) {
            segs.add(segment(n));
        }
        return RestoreWindow.of(segs, List.of(), snaps);
    }

    private static final SnapshotRecord A = snapshot("20261122T100021Z", 2);
    private static final SnapshotRecord B = snapshot("20261122T100101Z", 6);

    @Test
    void eachSnapshotHasTheStretchUpToTheNextOrTheLastTransaction() {
        List<DrillTargets.Stretch> s = DrillTargets.stretches(window(List.of(B, A)));
        assertEquals(2, s.size(), s.toString());
        assertEquals(A, s.get(0).snapshot());
        assertEquals(at(2, 3), s.get(0).from());
        assertEquals(at(6, 3), s.get(0).to());
        assertEquals(B, s.get(1).snapshot());
        assertEquals(at(6, 3), s.get(1).from());
        assertEquals(at(10, 9), s.get(1).to());
    }

    @Test
    void aDrillNeverTakesTheLastDrillsStretchWhenThereIsAnother() {
        RestoreWindow w = window(List.of(A, B));
        Random random = new Random(7);
        Set<Instant> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Instant t = DrillTargets.pick(w, A.id().value(), random).time();
            assertFalse(t.isBefore(at(6, 3)), t.toString());
            assertTrue(t.isBefore(at(10, 9)), t.toString());
            seen.add(t);
            Instant u = DrillTargets.pick(w, B.id().value(), random).time();
            assertFalse(u.isBefore(at(2, 3)), u.toString());
            assertTrue(u.isBefore(at(6, 3)), u.toString());
        }
        // at random, not one time
        assertTrue(seen.size() > 150, seen.size() + " times");
    }

    @Test
    void withOneSnapshotItsStretchIsTakenAgain() {
        RestoreTarget.Time t = DrillTargets.pick(window(List.of(A)), A.id().value(), new Random(1));
        assertFalse(t.time().isBefore(at(2, 3)));
        assertTrue(t.time().isBefore(at(10, 9)));
    }

    @Test
    void anArchiveWithNoSnapshotHasNothingToDrill() {
        PitrException e =
                assertThrows(PitrException.class, () -> DrillTargets.pick(window(List.of()), null, new Random(1)));
        assertEquals(ErrorCode.TARGET_OUTSIDE_WINDOW, e.code());
    }
}
