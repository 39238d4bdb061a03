package dev.pitr.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.TestClock;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.schedule.ScheduledJob;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worst-case recovery time from the catalog: the newest snapshot's lay-down plus the replay of the WAL since, at
 * assumed rates until a drill or a restore measured them; and the snapshots {@code pitr run} takes to keep it under
 * {@code snapshot.max_recovery_time}.
 */
class RecoveryTimeTest {

    static final long SEG = 16L << 20;
    static final TimelineId ONE = TimelineId.of(1);
    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @TempDir
    Path dir;

    private static SegmentRecord segment(long n) {
        SegmentName name = new SegmentName(ONE, n, SEG);
        return new SegmentRecord(
                name, SEG, SEG / 10, "sha" + n, "wal/" + name.fileName(), null, T0.plusSeconds(n), null);
    }

    private static SnapshotRecord snapshot(long seg, long plainBytes) {
        String id = "20261201T1000" + (seg < 10 ? "0" : "") + seg + "Z";
        return new SnapshotRecord(
                new SnapshotId(id),
                id,
                SnapshotRecord.Status.COMPLETE,
                ONE,
                new Lsn(seg * SEG + 0x28),
                new Lsn(seg * SEG + 0x1000),
                T0.plusSeconds(seg),
                T0.plusSeconds(seg),
                new SegmentName(ONE, seg, SEG).walFileName(),
                new SegmentName(ONE, seg, SEG).walFileName(),
                plainBytes,
                plainBytes / 10,
                "s",
                "snapshots/" + id,
                null,
                null,
                RetentionState.RETAINED);
    }

    @Test
    void assumedRatesUntilADrillMeasuresThenTheNewestMeasurement() {
        try (SqliteCatalog c = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            assertEquals(Optional.empty(), RecoveryTime.now(c));
            c.createSnapshot(snapshot(2, 1_000_000_000L));
            for (long n = 2; n <= 11; n++) {
                c.recordSegment(segment(n));
            }
            RecoveryTime t = RecoveryTime.now(c).orElseThrow();
            // WAL from the snapshot's start to the end of segment 11
            assertEquals(12 * SEG - (2 * SEG + 0x28), t.replayBytes());
            assertEquals(1_000_000_000L, t.layDownBytes());
            assertEquals(Duration.ofSeconds(10), t.layDown());
            assertEquals(
                    (long) Math.ceil(t.replayBytes() / RecoveryTime.ASSUMED_REPLAY_BYTES_PER_SECOND * 1000),
                    t.replay().toMillis());
            assertTrue(t.rates().startsWith("assumed"), t.rates());

            // a drill measured 500 MB/s lay-down and 100 MB/s replay
            c.recordDrill(new DrillRecord(
                    "drill-1",
                    T0,
                    T0.plusSeconds(60),
                    true,
                    "time ...",
                    "x",
                    new RecoveryTiming(2000, 1_000_000_000L, 10_000, 1_000_000_000L, 13_000),
                    List.of(),
                    null,
                    null));
            t = RecoveryTime.now(c).orElseThrow();
            assertEquals(Duration.ofSeconds(2), t.layDown());
            assertEquals(500e6, t.layDownRate());
            assertEquals(100e6, t.replayRate());
            assertEquals("lay-down measured by drill drill-1, replay measured by drill drill-1", t.rates());

            // a later restore that replayed too little to tell keeps the drill's rates... unless it is newer and tells
            c.recordRestore(new RestoreRecord(
                    "local-1",
                    T0.plusSeconds(120),
                    "restored",
                    "latest",
                    "x",
                    1L,
                    null,
                    null,
                    null,
                    new RecoveryTiming(1000, 1_000_000_000L, 4000, 1_000_000_000L, 5500)));
            t = RecoveryTime.now(c).orElseThrow();
            assertEquals(250e6, t.replayRate());
            assertEquals("lay-down measured by restore local-1, replay measured by restore local-1", t.rates());
        }
    }

    @Test
    void pitrRunTakesASnapshotOnlyWhileTheRecoveryTimeIsOver() {
        try (SqliteCatalog c = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            TestClock clock = new TestClock(T0.plusSeconds(3600).toString());
            c.createSnapshot(snapshot(2, 100_000_000L));
            for (long n = 2; n <= 5; n++) {
                c.recordSegment(segment(n));
            }
            List<Instant> taken = new ArrayList<>();
            // 100 MB at 100 MB/s, 64 MB of WAL at 50 MB/s and 5 s beside: about 7.3 s
            ScheduledJob job = ScheduledJob.byRecoveryTime(
                    Duration.ofSeconds(10),
                    c,
                    due -> {
                        taken.add(clock.instant());
                        c.createSnapshot(snapshot(taken.size() == 1 ? 21 : 40, 100_000_000L));
                    },
                    "me",
                    clock,
                    line -> {});
            assertEquals(false, job.tick());
            // 16 segments more: 320 MB of WAL, over 6 s of replay, 12 s in all
            for (long n = 6; n <= 21; n++) {
                c.recordSegment(segment(n));
            }
            // checked once a minute
            assertEquals(false, job.tick());
            clock.advance(Duration.ofMinutes(1));
            assertEquals(true, job.tick());
            assertEquals(1, taken.size());
            // the new snapshot brought it under: nothing more
            clock.advance(Duration.ofMinutes(1));
            assertEquals(false, job.tick());
            assertEquals(1, taken.size());
            // over again, but a snapshot failed a minute ago: it waits (5 minutes at least) before the next
            for (long n = 22; n <= 40; n++) {
                c.recordSegment(segment(n));
            }
            SnapshotRecord failed = snapshot(40, 100_000_000L);
            c.createSnapshot(new SnapshotRecord(
                    new SnapshotId("20261201T110000Z"),
                    "failed",
                    SnapshotRecord.Status.FAILED,
                    ONE,
                    failed.startLsn(),
                    null,
                    clock.instant(),
                    null,
                    failed.firstSegment(),
                    null,
                    0,
                    0,
                    null,
                    "snapshots/20261201T110000Z",
                    null,
                    null,
                    RetentionState.RETAINED));
            clock.advance(Duration.ofMinutes(1));
            assertEquals(false, job.tick());
            clock.advance(Duration.ofMinutes(5));
            assertEquals(true, job.tick());
            assertEquals(2, taken.size());
        }
    }

    @Test
    void noSnapshotWhenTheLayDownAloneIsOverOrTheReplayTooShortToMatter() {
        try (SqliteCatalog c = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            TestClock clock = new TestClock(T0.plusSeconds(3600).toString());
            // 1 GB: 10 s of lay-down at the assumed rate, over the bound of 5 s whatever the WAL
            c.createSnapshot(snapshot(2, 1_000_000_000L));
            for (long n = 2; n <= 40; n++) {
                c.recordSegment(segment(n));
            }
            List<Instant> taken = new ArrayList<>();
            ScheduledJob job = ScheduledJob.byRecoveryTime(
                    Duration.ofSeconds(5), c, due -> taken.add(due), "me", clock, line -> {});
            for (int i = 0; i < 3; i++) {
                assertEquals(false, job.tick());
                clock.advance(Duration.ofMinutes(1));
            }
            assertEquals(List.of(), taken);
        }
    }
}
