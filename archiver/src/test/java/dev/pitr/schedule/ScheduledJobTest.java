package dev.pitr.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.TestClock;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.error.PitrException;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler under a clock the test moves: catch-up after an outage, and two schedulers sharing one catalog. */
class ScheduledJobTest {

    @TempDir
    Path dir;

    private static final CronSchedule EVERY_SIX_HOURS = CronSchedule.parse("0 */6 * * *", ZoneId.of("UTC"));

    /** Records a snapshot (as the real one would, running then complete) when asked to take one. */
    private static ScheduledJob.Action recording(Catalog catalog, TestClock clock, List<Instant> taken) {
        return due -> {
            taken.add(clock.instant());
            String id = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                    .withZone(ZoneOffset.UTC)
                    .format(clock.instant());
            catalog.createSnapshot(new SnapshotRecord(
                    new SnapshotId(id),
                    "scheduled " + due,
                    SnapshotRecord.Status.COMPLETE,
                    TimelineId.of(1),
                    new Lsn(0x2000028),
                    new Lsn(0x2001000),
                    clock.instant(),
                    clock.instant(),
                    WalFileName.of("000000010000000000000002"),
                    WalFileName.of("000000010000000000000002"),
                    1,
                    1,
                    "s",
                    "snapshots/" + id + "/base.tar.zst",
                    null,
                    null,
                    RetentionState.RETAINED));
        };
    }

    @Test
    void dueTimesFollowTheExpression() {
        assertEquals(
                Instant.parse("2026-11-23T12:00:00Z"),
                EVERY_SIX_HOURS.lastDue(Instant.parse("2026-11-23T13:10:00Z")).orElseThrow());
        assertEquals(
                Instant.parse("2026-11-23T12:00:00Z"),
                EVERY_SIX_HOURS.lastDue(Instant.parse("2026-11-23T12:00:00Z")).orElseThrow());
        assertEquals(
                Instant.parse("2026-11-23T18:00:00Z"),
                EVERY_SIX_HOURS.next(Instant.parse("2026-11-23T13:10:00Z")).orElseThrow());
        PitrException e =
                assertThrows(PitrException.class, () -> CronSchedule.parse("every 6 hours", ZoneId.of("UTC")));
        assertTrue(e.hint().contains("0 */6 * * *"), e.hint());
    }

    @Test
    void missedTimesAreCaughtUpOnceAndOnTimeOnesRunOnce() {
        TestClock clock = new TestClock("2026-11-23T13:10:00Z");
        List<Instant> taken = new ArrayList<>();
        try (SqliteCatalog catalog = SqliteCatalog.open(dir.resolve("c.db"))) {
            List<String> log = new ArrayList<>();
            ScheduledJob s = ScheduledJob.snapshots(
                    EVERY_SIX_HOURS, catalog, recording(catalog, clock, taken), "a", clock, log::add);
            assertTrue(s.tick(), "the 12:00 snapshot was missed before the scheduler started: " + log);
            assertFalse(s.tick());
            clock.advance(Duration.ofMinutes(30));
            assertFalse(s.tick());
            // down from 13:40 for two and a half days: ten due times pass, one snapshot catches up
            clock.advance(Duration.ofHours(60));
            assertTrue(s.tick());
            assertFalse(s.tick());
            for (int i = 0; i < 4 * 6; i++) {
                clock.advance(Duration.ofMinutes(15));
                s.tick();
            }
            assertEquals(
                    List.of(
                            Instant.parse("2026-11-23T13:10:00Z"),
                            Instant.parse("2026-11-26T01:40:00Z"),
                            Instant.parse("2026-11-26T06:10:00Z")),
                    taken);
            assertEquals(Instant.parse("2026-11-26T12:00:00Z"), s.nextDue().orElseThrow());
        }
    }

    @Test
    void twoSchedulersTakeOneSnapshotPerDueTimeBetweenThem() {
        TestClock clock = new TestClock("2026-11-23T05:50:00Z");
        List<Instant> taken = new ArrayList<>();
        try (SqliteCatalog catalog = SqliteCatalog.open(dir.resolve("c.db"))) {
            ScheduledJob a = ScheduledJob.snapshots(
                    EVERY_SIX_HOURS, catalog, recording(catalog, clock, taken), "a", clock, x -> {});
            // the other node sees the catalog before the snapshot is recorded, as a real race would
            ScheduledJob b = ScheduledJob.snapshots(
                    EVERY_SIX_HOURS, catalog, due -> taken.add(clock.instant()), "b", clock, x -> {});
            a.tick();
            b.tick();
            taken.clear();
            for (int i = 0; i < 24 * 4; i++) {
                clock.advance(Duration.ofMinutes(15));
                if (i % 2 == 0) {
                    b.tick();
                    a.tick();
                } else {
                    a.tick();
                    b.tick();
                }
            }
            assertEquals(4, taken.size(), taken.toString());
        }
    }

    /**
     * A runner that may not run the job (its retention policy is not the cluster's) leaves the day unclaimed for one
     * that may, and says why; runners on other schedules claim the same day.
     */
    @Test
    void aRefusingRunnerLeavesTheDayToAnotherThatClaimsItOnItsOwnSchedule() {
        try (Catalog catalog = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            TestClock clock = new TestClock("2026-12-06T03:20:00Z");
            List<String> said = new ArrayList<>();
            List<Instant> ran = new ArrayList<>();
            ScheduledJob refusing = new ScheduledJob(
                            "retention",
                            CronSchedule.parse("17 3 * * *", ZoneId.of("UTC")),
                            catalog,
                            due -> false,
                            due -> ran.add(due),
                            "host-a",
                            clock,
                            said::add)
                    .claimingSlot(dev.pitr.retention.ClusterRetention::slot)
                    .unless(() -> java.util.Optional.of("its policy is not the cluster's"));
            assertFalse(refusing.tick());
            assertTrue(said.get(0).contains("not run here: its policy is not the cluster's"), said.toString());

            clock.advance(Duration.ofHours(2));
            ScheduledJob other = new ScheduledJob(
                            "retention",
                            CronSchedule.parse("0 5 * * *", ZoneId.of("UTC")),
                            catalog,
                            due -> false,
                            due -> ran.add(due),
                            "host-b",
                            clock,
                            said::add)
                    .claimingSlot(dev.pitr.retention.ClusterRetention::slot);
            assertTrue(other.tick(), "the day was left to it");
            assertEquals(List.of(Instant.parse("2026-12-06T05:00:00Z")), ran);
            assertFalse(
                    catalog.claimRun(
                            "retention", dev.pitr.retention.ClusterRetention.slot(clock.instant()), "function:x"),
                    "the function's run the same day finds it claimed");
        }
    }
}
