package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import dev.pitr.wal.WalRecords;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract of {@link Catalog}; every implementation's test extends this class. */
public abstract class CatalogContractTest {

    protected static final long SEG = 16L << 20;
    protected Catalog catalog;

    protected abstract Catalog newCatalog() throws Exception;

    @BeforeEach
    void setUpCatalog() throws Exception {
        catalog = newCatalog();
    }

    @AfterEach
    void closeCatalog() {
        catalog.close();
    }

    protected static SegmentRecord segment(long tli, long segno, String sha) {
        SegmentName n = new SegmentName(TimelineId.of(tli), segno, SEG);
        return new SegmentRecord(
                n,
                SEG,
                1000 + segno,
                sha,
                "wal/" + n.fileName() + ".zst",
                null,
                Instant.parse("2025-11-23T14:41:37.123456Z"),
                null);
    }

    @Test
    void segmentsRecordedTogetherAreRecordedEachAndAgainSafely() {
        List<SegmentRecord> batch = List.of(segment(1, 7, "a7"), segment(1, 8, "a8"), segment(2, 8, "b8"));
        assertEquals(
                List.of(Catalog.Recorded.INSERTED, Catalog.Recorded.INSERTED, Catalog.Recorded.INSERTED),
                catalog.recordSegments(batch));
        assertEquals(batch, catalog.allSegments());
        assertEquals(
                List.of(Catalog.Recorded.ALREADY_PRESENT, Catalog.Recorded.ALREADY_PRESENT, Catalog.Recorded.INSERTED),
                catalog.recordSegments(List.of(segment(1, 7, "a7"), segment(1, 8, "a8"), segment(1, 9, "a9"))));
        assertThrows(
                ArchiveConflictException.class,
                () -> catalog.recordSegments(List.of(segment(1, 10, "a10"), segment(1, 7, "different"))));
        // the conflict changed nothing that was recorded, and the batch can be offered again without it
        assertEquals(
                batch.get(0), catalog.segment(batch.get(0).name().walFileName()).orElseThrow());
        assertEquals(List.of(Catalog.Recorded.INSERTED), catalog.recordSegments(List.of(segment(1, 11, "a11"))));
    }

    /** The summaries as the catalog's records sum up from scratch. */
    protected List<SegmentBlock> summedUpAgain() {
        return SegmentBlocks.of(
                catalog.allSegments(),
                catalog.expiredSegments(),
                SegmentBlocks.cuts(catalog.histories(), catalog.snapshots()));
    }

    @Test
    void theSummariesFollowEveryRecordExpiryAndCut() {
        for (long n : new long[] {5, 3, 4, 1, 2, 7, 8, 9, 11}) {
            catalog.recordSegment(segment(1, n, "a" + n));
            assertEquals(summedUpAgain(), catalog.segmentBlocks());
        }
        SegmentRecord bad = segment(1, 10, "a10");
        catalog.recordSegment(new SegmentRecord(
                bad.name(),
                bad.plainSize(),
                bad.storedSize(),
                bad.checksum(),
                bad.storageKey(),
                null,
                bad.archivedAt(),
                new SegmentIndex(null, null, 0, 0, 0, List.of(), "invalid magic number")));
        // a block of its own, 64 GiB of WAL further on
        catalog.recordSegment(segment(1, 4096 + 2, "far"));
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
        assertEquals(2, catalog.segmentBlocks().size());
        SegmentBlock first = catalog.segmentBlocks().get(0);
        assertEquals(10, first.count());
        assertEquals(
                List.of(1L, 7L, 11L),
                first.extents().stream().map(Extent::first).toList());
        assertEquals(10, first.unreadable().get(0).segno());

        // a branch off timeline 1 in segment 8, and a snapshot whose WAL starts in segment 3, cut the extents there
        catalog.recordHistory(new HistoryRecord(
                TimelineId.of(2),
                "1\t0/" + Long.toHexString(8 * SEG + 0x100).toUpperCase(java.util.Locale.ROOT)
                        + "\tno recovery target specified\n",
                "h2",
                "wal/00000002.history",
                10,
                Instant.parse("2025-11-23T15:00:00Z")));
        catalog.createSnapshot(snapshot("20251123T150000Z", new Lsn(3 * SEG + 0x28)));
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
        assertEquals(
                List.of(1L, 3L, 7L, 8L, 11L),
                catalog.segmentBlocks().get(0).extents().stream()
                        .map(Extent::first)
                        .toList());

        catalog.expireSegments(
                List.of(
                        segment(1, 1, "").name().walFileName(),
                        segment(1, 2, "").name().walFileName()),
                Instant.parse("2025-11-24T00:00:00Z"));
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
        assertEquals(
                List.of(new SegmentBlock.Span(1, 2)),
                catalog.segmentBlocks().get(0).expired());
        catalog.segmentRemoved(segment(1, 1, "").name().walFileName(), Instant.parse("2025-11-25T00:00:00Z"));
        catalog.forgetSegment(segment(1, 1, "").name().walFileName());
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
        assertEquals(
                List.of(new SegmentBlock.Span(2, 2)),
                catalog.segmentBlocks().get(0).expired());

        // a segment in the middle of an extent, and the newest of a block, its only one
        WalFileName nine = segment(1, 9, "").name().walFileName();
        catalog.expireSegments(
                List.of(
                        segment(1, 4, "").name().walFileName(),
                        nine,
                        segment(1, 4096 + 2, "").name().walFileName()),
                Instant.parse("2025-11-26T00:00:00Z"));
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
        assertEquals(
                List.of(3L, 5L, 7L, 8L, 11L),
                catalog.segmentBlocks().get(0).extents().stream()
                        .map(Extent::first)
                        .toList());
        assertEquals(0, catalog.segmentBlocks().get(1).count());
        catalog.segmentsRemoved(List.of(nine), Instant.parse("2025-11-27T00:00:00Z"));
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
        assertEquals(2, catalog.segmentBlocks().get(0).awaitingCount());
    }

    private static SnapshotRecord snapshot(String id, Lsn start) {
        return new SnapshotRecord(
                new SnapshotId(id),
                null,
                SnapshotRecord.Status.RUNNING,
                TimelineId.of(1),
                start,
                null,
                Instant.parse("2025-11-23T15:00:00Z"),
                null,
                null,
                null,
                0,
                0,
                null,
                "snapshots/" + id,
                null,
                null,
                null);
    }

    @Test
    void recordingASegmentTwiceIsIdempotent() {
        SegmentRecord r = segment(1, 5, "aa");
        assertEquals(Catalog.Recorded.INSERTED, catalog.recordSegment(r));
        assertEquals(Catalog.Recorded.ALREADY_PRESENT, catalog.recordSegment(r));
        assertEquals(r, catalog.segment(r.name().walFileName()).orElseThrow());
        assertEquals(1, catalog.allSegments().size());
    }

    @Test
    void aDifferentChecksumForTheSameSegmentIsAConflictAndKeepsTheOriginal() {
        catalog.recordSegment(segment(1, 5, "aa"));
        assertThrows(ArchiveConflictException.class, () -> catalog.recordSegment(segment(1, 5, "bb")));
        assertEquals(
                "aa",
                catalog.segment(segment(1, 5, "x").name().walFileName())
                        .orElseThrow()
                        .checksum());
    }

    @Test
    void aRotationChangesOnlyTheKeyIdOfARecordedSegment() {
        SegmentRecord r = segment(1, 5, "aa");
        catalog.recordSegment(r);
        catalog.recordSegmentKeyId(r.name().walFileName(), "key:new");
        SegmentRecord got = catalog.segment(r.name().walFileName()).orElseThrow();
        assertEquals("key:new", got.keyId());
        assertEquals(r.withKeyId("key:new"), got);
        assertEquals(Catalog.Recorded.ALREADY_PRESENT, catalog.recordSegment(r));
        assertThrows(
                IllegalStateException.class,
                () -> catalog.recordSegmentKeyId(segment(1, 6, "bb").name().walFileName(), "key:new"));
    }

    @Test
    void segmentsAreListedInOrderPerTimeline() {
        catalog.recordSegment(segment(2, 7, "c"));
        catalog.recordSegment(segment(1, 9, "b"));
        catalog.recordSegment(segment(1, 3, "a"));
        catalog.recordSegment(segment(1, 300, "d"));
        assertEquals(
                List.of(3L, 9L),
                catalog.segments(TimelineId.of(1), 0, 10).stream()
                        .map(s -> s.name().segno())
                        .toList());
        assertEquals(
                List.of("a", "b", "d", "c"),
                catalog.allSegments().stream().map(SegmentRecord::checksum).toList());
    }

    @Test
    void theTimeIndexKeepsMicrosecondsRestorePointsAndProblemsAndMayBeAbsent() {
        SegmentRecord r = segment(1, 1, "a");
        SegmentIndex index = new SegmentIndex(
                Instant.parse("2025-11-23T14:41:37.000001Z"),
                Instant.parse("2025-11-23T14:41:38.999999Z"),
                700,
                4_000_000_000L,
                12,
                List.of(
                        new WalRecords.RestorePoint(
                                Lsn.parse("0/1000028"),
                                "before upgrade; \"ü\", 1,2",
                                Instant.parse("2025-11-23T14:41:37.5Z")),
                        new WalRecords.RestorePoint(
                                Lsn.parse("0/1FFFFF0"), "x", Instant.parse("2025-11-23T14:41:38Z"))),
                null);
        SegmentRecord timed = new SegmentRecord(
                r.name(), r.plainSize(), r.storedSize(), r.checksum(), r.storageKey(), "kek-1", r.archivedAt(), index);
        SegmentRecord damaged = new SegmentRecord(
                segment(1, 3, "c").name(),
                r.plainSize(),
                r.storedSize(),
                "c",
                "k3",
                null,
                r.archivedAt(),
                new SegmentIndex(null, null, 0, 0, 0, List.of(), "record at 0/3000100 fails its CRC"));
        catalog.recordSegment(timed);
        catalog.recordSegment(segment(1, 2, "b"));
        catalog.recordSegment(damaged);
        assertEquals(timed, catalog.segment(r.name().walFileName()).orElseThrow());
        assertEquals(damaged, catalog.segment(damaged.name().walFileName()).orElseThrow());
        assertNull(catalog.segment(segment(1, 2, "b").name().walFileName())
                .orElseThrow()
                .index());
        assertTrue(index.mayHoldXid(700) && index.mayHoldXid(4_000_000_000L) && !index.mayHoldXid(699));
    }

    @Test
    void aPartialSegmentOnlyGrowsStaysOutOfSegmentListingsAndIsForgotten() {
        SegmentName n = new SegmentName(TimelineId.of(2), 9, SEG);
        Instant t = Instant.parse("2025-11-23T14:41:37.123456Z");
        SegmentIndex x = new SegmentIndex(
                t,
                t.plusMillis(250),
                700,
                703,
                4,
                List.of(new WalRecords.RestorePoint(new Lsn(n.startLsn().value() + 100), "before|after", t)),
                null);
        PartialSegment first = new PartialSegment(n, List.of(8192L), "s1", 300, "wal/x.partial/", "k1", t, x);
        PartialSegment longer = first.extend(40960, "s2", 200, "k1", t.plusSeconds(1), x);
        assertEquals(Catalog.Recorded.INSERTED, catalog.recordPartial(first));
        assertEquals(Catalog.Recorded.INSERTED, catalog.recordPartial(longer));
        assertEquals(Catalog.Recorded.ALREADY_PRESENT, catalog.recordPartial(first), "never shrinks");
        assertEquals(longer, catalog.partial(n.walFileName()).orElseThrow());
        assertEquals(List.of(longer), catalog.partials());
        assertEquals(500, longer.storedSize());
        assertEquals("wal/x.partial/00002000-0000A000", longer.chunkKey(1));
        assertTrue(catalog.segment(n.walFileName()).isEmpty());
        assertTrue(catalog.allSegments().isEmpty());
        assertEquals(new Lsn(n.startLsn().value() + 40960), longer.asSegment().endLsn());
        assertTrue(longer.asSegment().partial());
        catalog.forgetPartial(n.walFileName());
        catalog.forgetPartial(n.walFileName());
        assertTrue(catalog.partials().isEmpty());
    }

    @Test
    void aRestoreIsReadByItsId() {
        assertTrue(catalog.restore("r-1").isEmpty());
        RestoreRecord r = new RestoreRecord(
                "r-1", Instant.parse("2026-12-06T14:00:00Z"), "replaying", "{}", "s", 1L, "0/3000000", null, null);
        catalog.recordRestore(r);
        assertEquals(java.util.Optional.of(r), catalog.restore("r-1"));
        assertTrue(catalog.restore("r-2").isEmpty());
    }

    @Test
    void aClusterSettingIsRecordedAndReplaced() {
        assertTrue(catalog.clusterSetting("retention_policy").isEmpty());
        catalog.putClusterSetting("retention_policy", "retention.daily=7 timezone=UTC");
        assertEquals(
                java.util.Optional.of("retention.daily=7 timezone=UTC"), catalog.clusterSetting("retention_policy"));
        catalog.putClusterSetting("retention_policy", "retention.daily=3 timezone=UTC");
        assertEquals(
                java.util.Optional.of("retention.daily=3 timezone=UTC"), catalog.clusterSetting("retention_policy"));
        assertTrue(catalog.clusterSetting("other").isEmpty());
    }

    @Test
    void aRestoreIsRecordedAndReplacedById() {
        RestoreRecord failed = new RestoreRecord(
                "exec-1",
                Instant.parse("2026-11-22T10:00:00.000001Z"),
                "failed",
                "time 2026-11-22 09:00:00.000000+00",
                null,
                null,
                null,
                "dev.pitr.restore.workflow.TargetUnreachableException",
                "time ... is earlier than the first snapshot's consistency point");
        catalog.recordRestore(failed);
        RestoreRecord done = new RestoreRecord(
                "exec-2",
                Instant.parse("2026-11-22T11:00:00Z"),
                "restored",
                "latest",
                "20261122T100000Z",
                2L,
                "0/5000060",
                null,
                null);
        catalog.recordRestore(done);
        catalog.recordRestore(done);
        assertEquals(List.of(failed, done), catalog.restores());
        assertEquals(Optional.of(done), catalog.latestRestore());
        // an older record written later is not the latest; a newer one with a timing is, and keeps it
        catalog.recordRestore(failed);
        assertEquals(Optional.of(done), catalog.latestRestore());
        RestoreRecord timed = new RestoreRecord(
                "a-local-one",
                Instant.parse("2026-11-22T12:00:00Z"),
                "restored",
                "latest",
                "20261122T100000Z",
                2L,
                "0/7000060",
                null,
                null,
                new RecoveryTiming(1200, 1_500_000_000L, 8000, 2_000_000_000L, 9900));
        catalog.recordRestore(timed);
        assertEquals(Optional.of(timed), catalog.latestRestore());
        assertEquals(Optional.of(timed), catalog.restore("a-local-one"));
    }

    @Test
    void theLatestDrillAndTheLatestPassedOneAreOneReadEach() {
        assertEquals(Optional.empty(), catalog.latestDrill(false));
        DrillRecord passed = new DrillRecord(
                "drill-1",
                Instant.parse("2026-11-22T10:00:00Z"),
                Instant.parse("2026-11-22T10:01:00Z"),
                true,
                "time 2026-11-22 09:00:00.000000+00",
                "20261122T080000Z",
                new RecoveryTiming(1200, 1_500_000_000L, 8000, 2_000_000_000L, 9900),
                List.of(
                        new DrillRecord.Check("amcheck postgres", true, "12 indexes"),
                        new DrillRecord.Check("orders", true, "got 't'")),
                null,
                null);
        DrillRecord failed = new DrillRecord(
                "drill-2",
                Instant.parse("2026-11-22T11:00:00Z"),
                Instant.parse("2026-11-22T11:00:30Z"),
                false,
                "time 2026-11-22 10:30:00.000000+00",
                null,
                null,
                List.of(),
                "RESTORE_FAILED",
                "segment 000000010000000000000003 is missing");
        catalog.recordDrill(passed);
        catalog.recordDrill(failed);
        assertEquals(Optional.of(failed), catalog.latestDrill(false));
        assertEquals(Optional.of(passed), catalog.latestDrill(true));
        // recording an older drill again leaves the latest as it is
        catalog.recordDrill(passed);
        assertEquals(Optional.of(failed), catalog.latestDrill(false));
        // and each is read by its id
        assertEquals(Optional.of(passed), catalog.drill("drill-1"));
        assertEquals(Optional.of(failed), catalog.drill("drill-2"));
        assertEquals(Optional.empty(), catalog.drill("drill-3"));
    }

    @Test
    void historiesAreIdempotentAndConflictOnDifferentContent() {
        HistoryRecord h = new HistoryRecord(
                TimelineId.of(2),
                "1\t0/3000158\tno recovery target specified\n",
                "h1",
                "wal/00000002.history.zst",
                60,
                Instant.parse("2025-11-23T14:41:37Z"));
        assertEquals(Catalog.Recorded.INSERTED, catalog.recordHistory(h));
        assertEquals(Catalog.Recorded.ALREADY_PRESENT, catalog.recordHistory(h));
        assertThrows(
                ArchiveConflictException.class,
                () -> catalog.recordHistory(new HistoryRecord(TimelineId.of(2), "x", "h2", "k", 1, Instant.EPOCH)));
        assertEquals(h, catalog.history(TimelineId.of(2)).orElseThrow());
        assertEquals(
                Lsn.parse("0/3000158"),
                catalog.histories().get(0).parsed().entries().get(0).switchpoint());
    }

    @Test
    void aSnapshotKeepsItsLineageThroughEveryUpdate() {
        SnapshotRecord full = snapshot("20251123T100000Z");
        SnapshotRecord inc =
                snapshot("20251123T160000Z").withLineage(new SnapshotLineage(SnapshotLineage.Kind.BLOCK, full.id()));
        catalog.createSnapshot(full);
        catalog.createSnapshot(inc);
        assertEquals(
                SnapshotLineage.FULL, catalog.snapshot(full.id()).orElseThrow().lineage());
        assertEquals(inc.lineage(), catalog.snapshot(inc.id()).orElseThrow().lineage());
        catalog.updateSnapshot(inc.withStatus(SnapshotRecord.Status.COMPLETE));
        catalog.updateSnapshot(catalog.snapshot(inc.id())
                .orElseThrow()
                .withRetention(SnapshotRecord.Status.EXPIRED, new RetentionState.Expired(java.time.Instant.EPOCH)));
        assertEquals(
                "block:20251123T100000Z",
                catalog.snapshot(inc.id()).orElseThrow().lineage().text());
    }

    @Test
    void snapshotsAreCreatedOnceUpdatedAndListedByStart() {
        SnapshotRecord a = snapshot("20251123T100000Z");
        SnapshotRecord b = snapshot("20251122T100000Z");
        catalog.createSnapshot(a);
        catalog.createSnapshot(b);
        assertThrows(ArchiveConflictException.class, () -> catalog.createSnapshot(a));
        catalog.updateSnapshot(a.withStatus(SnapshotRecord.Status.COMPLETE));
        assertEquals(
                SnapshotRecord.Status.COMPLETE,
                catalog.snapshot(a.id()).orElseThrow().status());
        assertEquals(
                List.of(b.id(), a.id()),
                catalog.snapshots().stream().map(SnapshotRecord::id).toList());
        assertThrows(IllegalStateException.class, () -> catalog.updateSnapshot(snapshot("20200101T000000Z")));
        assertTrue(catalog.snapshot(new SnapshotId("20200101T000000Z")).isEmpty());
    }

    @Test
    void anExpiredSegmentLeavesEveryListingAndIsRemovedThenForgottenInThatOrder() {
        SegmentRecord a = segment(1, 5, "aa");
        SegmentRecord b = segment(1, 6, "bb");
        catalog.recordSegment(a);
        catalog.recordSegment(b);
        String name = a.name().fileName();
        assertThrows(IllegalStateException.class, () -> catalog.segmentRemoved(WalFileName.of(name), Instant.now()));
        assertThrows(IllegalStateException.class, () -> catalog.forgetSegment(WalFileName.of(name)));
        Instant expired = Instant.parse("2025-12-01T00:00:00Z");
        catalog.expireSegment(WalFileName.of(name), expired);
        catalog.expireSegment(WalFileName.of(name), expired.plusSeconds(60));
        assertTrue(catalog.segment(WalFileName.of(name)).isEmpty());
        assertEquals(List.of(b), catalog.allSegments());
        assertEquals(List.of(b), catalog.segments(TimelineId.of(1), 0, 100));
        assertEquals(
                List.of(new ExpiredSegment(WalFileName.of(name), a.storageKey(), expired, null)),
                catalog.expiredSegments());
        // an expired segment offered again is not brought back, and a different body still conflicts
        assertEquals(Catalog.Recorded.ALREADY_PRESENT, catalog.recordSegment(a));
        assertThrows(ArchiveConflictException.class, () -> catalog.recordSegment(segment(1, 5, "cc")));
        assertTrue(catalog.segment(WalFileName.of(name)).isEmpty());
        assertThrows(IllegalStateException.class, () -> catalog.forgetSegment(WalFileName.of(name)));

        Instant removed = expired.plusSeconds(86400);
        catalog.segmentRemoved(WalFileName.of(name), removed);
        assertEquals(
                List.of(new ExpiredSegment(WalFileName.of(name), a.storageKey(), expired, removed)),
                catalog.expiredSegments());
        catalog.forgetSegment(WalFileName.of(name));
        assertEquals(List.of(), catalog.expiredSegments());
        assertThrows(IllegalStateException.class, () -> catalog.expireSegment(WalFileName.of(name), removed));
        assertThrows(
                IllegalStateException.class,
                () -> catalog.expireSegment(segment(9, 9, "x").name().walFileName(), removed));
    }

    @Test
    void aScheduledRunIsClaimedOnce() {
        Instant slot = Instant.parse("2026-11-23T06:00:00Z");
        assertTrue(catalog.claimRun("snapshot", slot, "host-a"));
        assertTrue(catalog.claimRun("snapshot", slot, "host-a"));
        assertFalse(catalog.claimRun("snapshot", slot, "host-b"));
        assertTrue(catalog.claimRun("snapshot", slot.plusSeconds(6 * 3600), "host-b"));
        assertTrue(catalog.claimRun("retention", slot, "host-b"));
    }

    @Test
    void onlyARemovedSnapshotIsForgotten() {
        SnapshotRecord a = snapshot("20251123T100000Z");
        catalog.createSnapshot(a);
        assertThrows(IllegalStateException.class, () -> catalog.forgetSnapshot(a.id()));
        RetentionState.Expired at = new RetentionState.Expired(Instant.parse("2025-12-01T00:00:00Z"));
        catalog.updateSnapshot(a.withRetention(SnapshotRecord.Status.EXPIRED, at));
        assertEquals(at.at(), catalog.snapshot(a.id()).orElseThrow().expiredAt().orElseThrow());
        assertThrows(IllegalStateException.class, () -> catalog.forgetSnapshot(a.id()));
        catalog.updateSnapshot(a.withRetention(SnapshotRecord.Status.REMOVED, at));
        catalog.forgetSnapshot(a.id());
        assertTrue(catalog.snapshot(a.id()).isEmpty());
        assertThrows(IllegalStateException.class, () -> catalog.forgetSnapshot(a.id()));
    }

    private static SnapshotRecord snapshot(String id) {
        return new SnapshotRecord(
                new SnapshotId(id),
                "nightly",
                SnapshotRecord.Status.RUNNING,
                TimelineId.of(1),
                Lsn.parse("0/2000028"),
                null,
                Instant.parse("2025-11-23T10:00:00Z"),
                null,
                WalFileName.of("000000010000000000000002"),
                null,
                0,
                0,
                null,
                "snapshots/" + id + "/base.tar.zst",
                null,
                null,
                RetentionState.RETAINED);
    }

    @Test
    void theShippingLeaseHasOneHolderAndGrowingTokens() throws Exception {
        ShippingLease a = catalog.acquireShippingLease("host-a:1", java.time.Duration.ofMinutes(1));
        LeaseHeldException held = assertThrows(
                LeaseHeldException.class,
                () -> catalog.acquireShippingLease("host-b:2", java.time.Duration.ofMinutes(1)));
        assertTrue(held.getMessage().contains("host-a:1"), held.getMessage());
        a.renew();
        a.close();
        ShippingLease b = catalog.acquireShippingLease("host-b:2", java.time.Duration.ofMillis(200));
        assertTrue(b.token() > a.token());
        Thread.sleep(400);
        // expired: a newcomer takes it, and the old holder can no longer renew
        ShippingLease c = catalog.acquireShippingLease("host-c:3", java.time.Duration.ofMinutes(1));
        assertTrue(c.token() > b.token());
        assertThrows(LeaseHeldException.class, b::renew);
        c.close();
    }
}
