package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.codec.Zstd;
import dev.pitr.config.Repository;
import dev.pitr.storage.ForwardingStorage;
import dev.pitr.storage.LocalStorage;
import dev.pitr.storage.Storage;
import dev.pitr.storage.StorageException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removing a finished partial segment's chunks, where the store refuses deletes, or deletes and tags alike. */
class PartialShipperTest {

    static final long SEG = 16L << 20;

    @TempDir
    Path dir;

    /** Local storage whose deletes and expiries can be refused, as a bucket policy without them would. */
    static final class Refusing extends ForwardingStorage {
        final LocalStorage local;
        boolean refuseDelete;
        boolean refuseExpire;
        final List<String> expired = new ArrayList<>();

        Refusing(Path root) {
            this(new LocalStorage(root));
        }

        private Refusing(LocalStorage local) {
            super(local);
            this.local = local;
        }

        @Override
        public void delete(String key) {
            if (refuseDelete) {
                throw new StorageException("AccessDenied deleting " + key, null);
            }
            local.delete(key);
        }

        @Override
        public void deleteAll(List<String> keys) {
            keys.forEach(this::delete);
        }

        @Override
        public void expire(String key) {
            if (refuseExpire) {
                throw new StorageException("AccessDenied tagging " + key, null);
            }
            expired.add(key);
            local.expire(key);
        }

        @Override
        public String describe() {
            return "refusing " + local.describe();
        }
    }

    private static PartialSegment partial(SegmentName n) {
        return new PartialSegment(
                n, List.of(8192L, 16384L), "s", 300, PartialShipper.keyPrefix(n), null, Instant.EPOCH, null);
    }

    private static void putChunks(Storage s, PartialSegment p) {
        for (int i = 0; i < p.chunkEnds().size(); i++) {
            s.put(p.chunkKey(i), o -> o.write(1));
        }
    }

    private static SegmentRecord complete(SegmentName n) {
        return new SegmentRecord(n, SEG, 100, "sha", "wal/" + n.fileName() + ".zst", null, Instant.EPOCH, null);
    }

    @Test
    void refusedDeletesTagTheChunksForTheLifecycleRuleInstead() {
        Refusing storage = new Refusing(dir.resolve("repo"));
        try (Repository repo = new Repository(storage, SqliteCatalog.open(dir.resolve("c.db")), new Zstd(3))) {
            SegmentName n = new SegmentName(TimelineId.of(1), 3, SEG);
            PartialSegment p = partial(n);
            putChunks(storage, p);
            repo.catalog().recordPartial(p);
            repo.catalog().recordSegment(complete(n));
            storage.refuseDelete = true;

            Optional<String> said = new PartialShipper(repo, Clock.systemUTC()).completed(n.fileName());

            assertTrue(said.orElseThrow().contains("tagged them expired"), said.toString());
            assertTrue(said.orElseThrow().contains("s3:DeleteObject on partial/*"), said.toString());
            assertEquals(List.of(p.chunkKey(0), p.chunkKey(1)), storage.expired);
        }
    }

    @Test
    void chunksNothingCouldRemoveAreFoundAndRemovedByTheNextSweep() {
        Refusing storage = new Refusing(dir.resolve("repo"));
        try (Repository repo = new Repository(storage, SqliteCatalog.open(dir.resolve("c.db")), new Zstd(3))) {
            SegmentName n = new SegmentName(TimelineId.of(1), 3, SEG);
            SegmentName growing = new SegmentName(TimelineId.of(1), 4, SEG);
            PartialSegment p = partial(n);
            putChunks(storage, p);
            putChunks(storage, partial(growing));
            repo.catalog().recordPartial(p);
            repo.catalog().recordPartial(partial(growing));
            repo.catalog().recordSegment(complete(n));
            storage.refuseDelete = true;
            storage.refuseExpire = true;
            PartialShipper shipper = new PartialShipper(repo, Clock.systemUTC());

            Optional<String> said = shipper.completed(n.fileName());

            assertTrue(said.orElseThrow().contains("the next capture start tries again"), said.toString());
            assertTrue(repo.catalog().partial(n.walFileName()).isEmpty());
            assertEquals(4, storage.list(PartialShipper.PREFIX).size(), "nothing removed yet");

            storage.refuseDelete = false;
            storage.refuseExpire = false;
            assertEquals(List.of(), shipper.sweep());
            assertEquals(
                    List.of(partial(growing).chunkKey(0), partial(growing).chunkKey(1)),
                    storage.list(PartialShipper.PREFIX),
                    "the finished segment's chunks are gone; the growing segment's stay");
        }
    }
}
