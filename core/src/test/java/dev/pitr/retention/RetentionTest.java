package dev.pitr.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.ExpiredSegment;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.storage.ForwardingStorage;
import dev.pitr.storage.LocalStorage;
import dev.pitr.storage.Storage;
import dev.pitr.storage.StorageException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Applying retention to a real catalog and storage: marks, then removes after the grace period, then forgets. */
class RetentionTest {

    private static final RetentionPolicy POLICY =
            new RetentionPolicy(2, 1, 0, Duration.ofHours(12), Duration.ofHours(6), ZoneId.of("UTC"));

    @TempDir
    Path dir;

    @Test
    void expiredItemsStayStoredForTheGracePeriodThenGo() {
        ArchiveHistory h = new ArchiveHistory(7, 60, 120);
        try (SqliteCatalog catalog = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            Storage storage = new LocalStorage(dir.resolve("repo"));
            fill(h, catalog, storage);
            List<String> log = new ArrayList<>();

            Retention.Report dry = new Retention(catalog, storage, POLICY, at(h.now), log::add).apply(true);
            assertTrue(dry.segmentsExpired() > 0 && dry.snapshotsExpired() > 0, dry.toString());
            assertEquals(h.segments.size(), catalog.allSegments().size(), "a dry run changes nothing");
            assertEquals(List.of(), log);

            Retention.Report first = new Retention(catalog, storage, POLICY, at(h.now), log::add).apply(false);
            assertEquals(dry.segmentsExpired(), first.segmentsExpired());
            assertEquals(0, first.segmentsRemoved(), "nothing goes before the grace period");
            assertEquals(
                    h.segments.size() - first.segmentsExpired(),
                    catalog.allSegments().size());
            assertAgree(catalog, storage);
            for (SegmentRecord s : first.plan().expiredSegments()) {
                assertTrue(storage.stat(s.storageKey()).isPresent(), "removed inside the grace period: " + s.name());
            }
            // the window names what retention took out as such, not as WAL that never arrived
            List<RestoreWindow.Gap> expiredGaps = RestoreWindow.of(catalog).all().stream()
                    .flatMap(t -> t.gaps().stream())
                    .filter(g -> g.kind() == RestoreWindow.GapKind.EXPIRED)
                    .toList();
            assertFalse(expiredGaps.isEmpty());
            for (RestoreWindow.Gap g : expiredGaps) {
                assertTrue(
                        catalog.expiredSegments().stream()
                                .anyMatch(e ->
                                        e.fileName().text().equals(g.files().get(0))),
                        g.toString());
            }

            Instant later = h.now.plus(POLICY.grace()).plusSeconds(1);
            Retention.Report second = new Retention(catalog, storage, POLICY, at(later), log::add).apply(false);
            assertEquals(first.segmentsExpired(), second.segmentsRemoved());
            assertEquals(first.snapshotsExpired(), second.snapshotsRemoved());
            for (SegmentRecord s : first.plan().expiredSegments()) {
                assertEquals(Optional.empty(), storage.stat(s.storageKey()), s.name() + " is still stored");
                assertEquals(Optional.empty(), storage.stat(ObjectCodec.envelopeKey(s.storageKey())));
            }
            for (SnapshotRecord s : first.plan().expiredSnapshots()) {
                assertTrue(catalog.snapshot(s.id()).isEmpty());
                assertEquals(List.of(), storage.list("snapshots/" + s.id() + "/"));
            }
            assertAgree(catalog, storage);
            assertTrue(log.stream().anyMatch(l -> l.contains("handed to storage for removal")), log.toString());
        }
    }

    @Test
    void aRunStoppedAtAnyStepLeavesCatalogAndStorageAgreeingAndTheNextRunFinishes() {
        for (int failAfter : new int[] {0, 1, 2, 3, 5, 8, 13, 21, 34}) {
            Path d = dir.resolve("run" + failAfter);
            ArchiveHistory h = new ArchiveHistory(11, 60, 120);
            try (SqliteCatalog catalog = SqliteCatalog.open(d.resolve("catalog.db"))) {
                Storage real = new LocalStorage(d.resolve("repo"));
                fill(h, catalog, real);
                new Retention(catalog, real, POLICY, at(h.now), x -> {}).apply(false);
                Instant later = h.now.plus(POLICY.grace()).plusSeconds(1);
                try {
                    new Retention(catalog, new Failing(real, failAfter), POLICY, at(later), x -> {}).apply(false);
                } catch (StorageException e) {
                    // the crash
                }
                assertAgree(catalog, real);
                new Retention(catalog, real, POLICY, at(later), x -> {}).apply(false);
                assertAgree(catalog, real);
                // what the first run expired is removed now (the later runs may expire more, which waits its grace
                // period)
                assertTrue(
                        catalog.expiredSegments().stream()
                                .allMatch(e -> e.expiredAt().isAfter(h.now) || e.removedAt() != null),
                        "failing after " + failAfter);
                assertTrue(catalog.snapshots().stream()
                        .noneMatch(s -> s.status() == SnapshotRecord.Status.REMOVED
                                || (s.status() == SnapshotRecord.Status.EXPIRED
                                        && !s.expiredAt().orElseThrow().isAfter(h.now))));
            }
        }
    }

    /** Everything the catalog calls restorable is stored; everything removed is gone. */
    private static void assertAgree(Catalog catalog, Storage storage) {
        for (SegmentRecord s : catalog.allSegments()) {
            assertTrue(
                    storage.stat(s.storageKey()).isPresent(),
                    "the catalog lists " + s.name() + " but it is not stored");
        }
        for (SnapshotRecord s : catalog.snapshots()) {
            if (s.status() == SnapshotRecord.Status.COMPLETE) {
                assertTrue(storage.stat(s.storageKey()).isPresent(), "snapshot " + s.id() + " is not stored");
            }
        }
        for (ExpiredSegment e : catalog.expiredSegments()) {
            if (e.removedAt() != null) {
                assertFalse(storage.stat(e.storageKey()).isPresent(), e.fileName() + " is removed but still stored");
            }
        }
    }

    /** The history's records in the catalog, and an object (and, for some, a key envelope) for each in storage. */
    private static void fill(ArchiveHistory h, Catalog catalog, Storage storage) {
        for (SegmentRecord s : h.segments) {
            catalog.recordSegment(s);
            storage.put(s.storageKey(), out -> out.write(1));
            if (s.name().segno() % 2 == 0) {
                storage.put(ObjectCodec.envelopeKey(s.storageKey()), out -> out.write(2));
            }
        }
        for (HistoryRecord x : h.histories) {
            catalog.recordHistory(x);
        }
        for (SnapshotRecord s : h.snapshots) {
            catalog.createSnapshot(s);
            storage.put(s.storageKey(), out -> out.write(3));
            storage.put(s.storageKey().replace("base.tar.zst", "manifest.json"), out -> out.write(4));
        }
    }

    private static Clock at(Instant t) {
        return Clock.fixed(t, ZoneOffset.UTC);
    }

    /** Storage that fails every call after the first {@code n} expiries, as a crash would stop the run there. */
    private static final class Failing extends ForwardingStorage {
        private final int n;
        private final AtomicInteger calls = new AtomicInteger();

        Failing(Storage inner, int n) {
            super(inner);
            this.n = n;
        }

        @Override
        public void expire(String key) {
            if (calls.incrementAndGet() > n) {
                throw new StorageException("injected crash", null);
            }
            delegate.expire(key);
        }

        @Override
        public String describe() {
            return "failing " + delegate.describe();
        }
    }
}
