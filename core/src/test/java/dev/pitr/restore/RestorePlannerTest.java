package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The window and the plan over a synthetic catalog: timeline 1 has segments 2-10, timeline 2 branched off it at
 * 0/7000100 and has segments 7-12. Segment {@code n} holds transaction ends from {@code T0 + 10n s} to {@code T0 + 10n
 * + 9 s} and xids {@code 100n} to {@code 100n + 99}. Snapshot A (timeline 1) is consistent in segment 2; snapshot B was
 * taken on timeline 1 after the branch (the old primary went on).
 */
class RestorePlannerTest {

    static final long SEG = 16L << 20;
    static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    static final TimelineId ONE = TimelineId.of(1);
    static final TimelineId TWO = TimelineId.of(2);

    final List<SegmentRecord> segments = new ArrayList<>();
    final List<SnapshotRecord> snapshots = new ArrayList<>();
    final List<HistoryRecord> histories = new ArrayList<>();

    RestorePlannerTest() {
        for (long n = 2; n <= 10; n++) {
            segments.add(segment(ONE, n));
        }
        for (long n = 7; n <= 12; n++) {
            segments.add(segment(TWO, n));
        }
        histories.add(new HistoryRecord(
                TWO, "1\t0/7000100\tno recovery target specified\n", "h", "wal/00000002.history", 40, T0));
        snapshots.add(snapshot("A", ONE, 2, 2, at(2, 3)));
        snapshots.add(snapshot("B", ONE, 8, 8, at(8, 3)));
    }

    static Instant at(long segno, long second) {
        return T0.plusSeconds(10 * segno + second);
    }

    static SegmentRecord segment(TimelineId tli, long n) {
        return segment(tli, n, new SegmentIndex(at(n, 0), at(n, 9), 100 * n, 100 * n + 99, 100, List.of(), null));
    }

    static SegmentRecord segment(TimelineId tli, long n, SegmentIndex index) {
        SegmentName name = new SegmentName(tli, n, SEG);
        return new SegmentRecord(name, SEG, SEG / 10, "sha" + n, "wal/" + name.fileName(), null, at(n, 10), index);
    }

    static SnapshotRecord snapshot(String id, TimelineId tli, long firstSeg, long lastSeg, Instant stop) {
        return snapshot(id, tli, firstSeg, lastSeg, stop.minusSeconds(2), stop);
    }

    static SnapshotRecord snapshot(
            String id, TimelineId tli, long firstSeg, long lastSeg, Instant start, Instant stop) {
        return new SnapshotRecord(
                new SnapshotId("20261122T1000" + (id.charAt(0) - 'A' + 10) + "Z"),
                id,
                SnapshotRecord.Status.COMPLETE,
                tli,
                new Lsn(firstSeg * SEG + 0x28),
                new Lsn(lastSeg * SEG + 0x1000),
                start,
                stop,
                new SegmentName(tli, firstSeg, SEG).walFileName(),
                new SegmentName(tli, lastSeg, SEG).walFileName(),
                1000,
                100,
                "s",
                "snapshots/" + id,
                null,
                null,
                null);
    }

    RestoreWindow window() {
        return RestoreWindow.of(segments, histories, snapshots);
    }

    RestorePlan plan(RestoreTarget t) {
        return new RestorePlanner(window()).plan(t, new TargetTimeline.Latest(), true, null);
    }

    static List<String> files(RestorePlan p) {
        return p.segments().stream().map(s -> s.name().fileName()).toList();
    }

    static String name(TimelineId tli, long n) {
        return new SegmentName(tli, n, SEG).fileName();
    }

    /**
     * Segments rebuilt without their time index (their metadata was lost) cannot tell where a time falls: the plan keeps
     * the time as the target and fetches every segment that may hold it, never widening it to the latest point.
     */
    @Test
    void aTimeTheIndexCannotPlaceStaysTheTargetAndEveryUnindexedSegmentIsFetched() {
        segments.replaceAll(s -> s.name().timeline().equals(ONE) && s.name().segno() >= 3
                ? segment(ONE, s.name().segno(), null)
                : s);
        RestorePlan p = new RestorePlanner(window())
                .plan(new RestoreTarget.Time(at(9, 5)), new TargetTimeline.Exactly(ONE), true, null);
        assertEquals(new RestoreTarget.Time(at(9, 5)), p.target());
        assertEquals(name(ONE, 10), files(p).get(files(p).size() - 1));
        assertTrue(p.note().contains("no time index"), p.note());
        // an indexed segment past the target still bounds what is fetched
        segments.replaceAll(s -> s.name().timeline().equals(ONE) && s.name().segno() == 7 ? segment(ONE, 7) : s);
        RestorePlan q = new RestorePlanner(window())
                .plan(new RestoreTarget.Time(at(5, 5)), new TargetTimeline.Exactly(ONE), true, null);
        assertEquals(new RestoreTarget.Time(at(5, 5)), q.target());
        assertEquals(name(ONE, 7), files(q).get(files(q).size() - 1));
    }

    @Test
    void theLatestTimelineFollowsItsHistoryAndReadsTheNewTimelinesCopyOfTheSwitchSegment() {
        RestoreWindow.Timeline two = window().timeline(TWO);
        assertEquals("timeline 1 until 0/7000100, then 2", two.path().describe());
        assertEquals(1, two.ranges().size());
        RestoreWindow.Range r = two.ranges().get(0);
        assertEquals(at(2, 3), r.startTime());
        assertEquals(at(12, 9), r.endTime());
        assertEquals(new Lsn(13 * SEG), r.endLsn());
        assertEquals(
                List.of(name(ONE, 2), name(ONE, 6), name(TWO, 7), name(TWO, 12)),
                List.of(
                        r.segments().get(0).name().fileName(),
                        r.segments().get(4).name().fileName(),
                        r.segments().get(5).name().fileName(),
                        r.segments().get(10).name().fileName()));
        assertTrue(two.gaps().isEmpty(), two.gaps().toString());
        assertFalse(two.walAfter());
    }

    @Test
    void theOldTimelineReportsTheBranch() {
        RestoreWindow.Timeline one = window().timeline(ONE);
        assertEquals(at(10, 9), one.ranges().get(0).endTime());
        assertEquals(RestoreWindow.GapKind.TIMELINE_BRANCH, one.gaps().get(0).kind());
        assertEquals(Lsn.parse("0/7000100"), one.gaps().get(0).from());
    }

    @Test
    void aTimeTargetPicksTheNewestSnapshotOnThePathAndListsTheWalUpToTheFirstCommitAfterIt() {
        RestorePlan p = plan(new RestoreTarget.Time(at(9, 5)));
        assertEquals("A", p.snapshot().label(), "B is on timeline 1 past the branch");
        assertEquals(TWO, p.timeline());
        assertEquals(
                List.of("00000002.history"),
                p.histories().stream().map(HistoryRecord::fileName).toList());
        assertEquals(name(ONE, 2), files(p).get(0));
        assertEquals(name(TWO, 9), files(p).get(files(p).size() - 1));
        assertEquals(8, p.segments().size());
        assertEquals("2", p.recoverySettings(RestoreRequest.Action.PROMOTE).get("recovery_target_timeline"));
        assertEquals("on", p.recoverySettings(RestoreRequest.Action.PROMOTE).get("recovery_target_inclusive"));
    }

    @Test
    void onTheOldTimelineTheLaterSnapshotIsUsed() {
        RestorePlan p = new RestorePlanner(window())
                .plan(new RestoreTarget.Time(at(9, 5)), new TargetTimeline.Exactly(ONE), true, null);
        assertEquals("B", p.snapshot().label());
        assertEquals(List.of(name(ONE, 8), name(ONE, 9)), files(p));
        assertTrue(p.histories().isEmpty());
    }

    @Test
    void aSnapshotThatBranchedOffBeforeTheTargetTimelineIsRefused() {
        SnapshotId b = snapshots.get(1).id();
        PitrException e = assertThrows(
                PitrException.class,
                () -> new RestorePlanner(window())
                        .plan(new RestoreTarget.Latest(), new TargetTimeline.Exactly(TWO), true, b));
        assertEquals(ErrorCode.TIMELINE_UNREACHABLE, e.code());
        assertTrue(e.getMessage().contains("branched off timeline 1 at 0/7000100"), e.getMessage());
        RestorePlan current =
                new RestorePlanner(window()).plan(new RestoreTarget.Latest(), new TargetTimeline.Current(), true, b);
        assertEquals(ONE, current.timeline());
        assertEquals(name(ONE, 10), files(current).get(files(current).size() - 1));
    }

    @Test
    void targetsOutsideTheWindowAreRefusedNamingIt() {
        PitrException before = assertThrows(PitrException.class, () -> plan(new RestoreTarget.Time(at(2, 1))));
        assertEquals(ErrorCode.TARGET_OUTSIDE_WINDOW, before.code());
        assertTrue(before.getMessage().contains("restorable window on timeline 2"), before.getMessage());
        PitrException after = assertThrows(PitrException.class, () -> plan(new RestoreTarget.Time(at(12, 10))));
        assertEquals(ErrorCode.TARGET_OUTSIDE_WINDOW, after.code());
        assertTrue(after.getMessage().contains("later than the last transaction archived"), after.getMessage());
        assertEquals(
                ErrorCode.TARGET_OUTSIDE_WINDOW,
                assertThrows(PitrException.class, () -> plan(new RestoreTarget.AtLsn(new Lsn(13 * SEG))))
                        .code());
        assertEquals(
                ErrorCode.TARGET_OUTSIDE_WINDOW,
                assertThrows(PitrException.class, () -> plan(new RestoreTarget.AtLsn(new Lsn(2 * SEG))))
                        .code());
    }

    @Test
    void aTimeAtTheLastCommitReplaysEverything() {
        RestorePlan p = plan(new RestoreTarget.Time(at(12, 9)));
        assertTrue(p.target() instanceof RestoreTarget.Latest, p.toString());
        assertNull(p.recoverySettings(RestoreRequest.Action.PAUSE).get("recovery_target_time"));
        assertEquals(new Lsn(12 * SEG), p.mustReach());
        assertNull(plan(new RestoreTarget.Time(at(9, 5))).mustReach());
    }

    @Test
    void aMissingSegmentIsAGap() {
        segments.removeIf(s -> s.name().equals(new SegmentName(TWO, 10, SEG)));
        RestoreWindow.Timeline two = window().timeline(TWO);
        assertEquals(RestoreWindow.GapKind.MISSING_SEGMENT, two.gaps().get(0).kind());
        assertEquals(List.of(name(TWO, 10)), two.gaps().get(0).files());
        assertTrue(two.walAfter());
        assertEquals(at(9, 9), two.ranges().get(0).endTime());
        assertEquals(
                ErrorCode.WAL_GAP,
                assertThrows(PitrException.class, () -> plan(new RestoreTarget.Latest()))
                        .code());
        PitrException beyond = assertThrows(PitrException.class, () -> plan(new RestoreTarget.Time(at(11, 5))));
        assertEquals(ErrorCode.WAL_GAP, beyond.code());
        assertTrue(beyond.getMessage().contains(name(TWO, 10) + " is not archived"), beyond.getMessage());
        assertEquals(name(TWO, 9), files(plan(new RestoreTarget.Time(at(9, 5)))).get(7));
    }

    @Test
    void anUnreadableSegmentIsAGapToo() {
        segments.replaceAll(s -> s.name().equals(new SegmentName(TWO, 11, SEG))
                ? segment(
                        TWO, 11, new SegmentIndex(null, null, 0, 0, 0, List.of(), "record at 0/B000100 fails its CRC"))
                : s);
        RestoreWindow.Timeline two = window().timeline(TWO);
        assertEquals(RestoreWindow.GapKind.UNREADABLE_SEGMENT, two.gaps().get(0).kind());
        assertTrue(two.gaps().get(0).detail().contains("fails its CRC"));
    }

    @Test
    void theTimeIndexLetsALaterSnapshotServeATargetBeforeItsStopTime() {
        // snapshot C on timeline 2 runs in segments 11-12, but nothing ended in them after at(10, 9)
        segments.replaceAll(s -> s.name().timeline().equals(TWO) && s.name().segno() >= 11
                ? segment(TWO, s.name().segno(), new SegmentIndex(null, null, 0, 0, 0, List.of(), null))
                : s);
        snapshots.add(snapshot("C", TWO, 11, 12, at(11, 0), at(12, 5)));
        RestorePlan p = plan(new RestoreTarget.Time(at(11, 5)));
        assertEquals("C", p.snapshot().label());
        RestorePlan early = plan(new RestoreTarget.Time(at(10, 5)));
        assertEquals("A", early.snapshot().label());
    }

    @Test
    void xidNameAndImmediateTargetsUseTheIndex() {
        RestorePlan x = plan(new RestoreTarget.Xid(550));
        assertEquals(name(ONE, 5), files(x).get(files(x).size() - 1));
        assertEquals("550", x.recoverySettings(RestoreRequest.Action.PROMOTE).get("recovery_target_xid"));
        assertThrows(PitrException.class, () -> plan(new RestoreTarget.Xid(150)));

        segments.replaceAll(s -> s.name().equals(new SegmentName(ONE, 6, SEG))
                ? segment(
                        ONE,
                        6,
                        new SegmentIndex(
                                at(6, 0),
                                at(6, 9),
                                600,
                                699,
                                100,
                                List.of(new WalRecords.RestorePoint(
                                        Lsn.parse("0/6000200"), "before-upgrade", at(6, 4))),
                                null))
                : s);
        RestorePlan n = plan(new RestoreTarget.Named("before-upgrade"));
        assertEquals(Lsn.parse("0/6000200"), n.stopsAt());
        assertEquals(name(ONE, 6), files(n).get(files(n).size() - 1));
        assertEquals(
                "before-upgrade",
                n.recoverySettings(RestoreRequest.Action.PROMOTE).get("recovery_target_name"));
        assertNull(n.recoverySettings(RestoreRequest.Action.PROMOTE).get("recovery_target_inclusive"));

        RestorePlan i = plan(new RestoreTarget.Immediate());
        assertEquals(List.of(name(ONE, 2)), files(i));
        assertEquals(
                "immediate", i.recoverySettings(RestoreRequest.Action.PROMOTE).get("recovery_target"));
    }

    @Test
    void anIncrementalIsPlannedThroughItsChainAndABrokenOneIsAGapThatSaysWhy() {
        SnapshotRecord b = snapshots.get(1);
        SnapshotRecord c = snapshot("C", ONE, 9, 9, at(9, 3))
                .withLineage(new dev.pitr.catalog.SnapshotLineage(dev.pitr.catalog.SnapshotLineage.Kind.BLOCK, b.id()));
        snapshots.add(c);
        RestorePlan p = new RestorePlanner(window())
                .plan(new RestoreTarget.Latest(), new TargetTimeline.Exactly(ONE), true, null);
        assertEquals("C", p.snapshot().label());
        assertEquals(
                List.of("B", "C"),
                p.chain().links().stream().map(SnapshotRecord::label).toList());
        assertEquals(2000, p.chain().plainSize());

        snapshots.set(1, b.withStatus(SnapshotRecord.Status.FAILED));
        RestoreWindow w = window();
        RestoreWindow.Gap gap = w.timeline(ONE).gaps().stream()
                .filter(g -> g.kind() == RestoreWindow.GapKind.BROKEN_CHAIN)
                .findFirst()
                .orElseThrow();
        assertEquals(List.of(c.id().value()), gap.files());
        assertTrue(gap.detail().contains("its parent " + b.id() + " is failed"), gap.detail());
        RestorePlan without =
                new RestorePlanner(w).plan(new RestoreTarget.Latest(), new TargetTimeline.Exactly(ONE), true, null);
        assertEquals("A", without.snapshot().label());
        assertEquals(0, without.chain().length());
    }
}
