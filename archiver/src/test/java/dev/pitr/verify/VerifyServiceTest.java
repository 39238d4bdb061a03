package dev.pitr.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.codec.Zstd;
import dev.pitr.config.Repository;
import dev.pitr.storage.LocalStorage;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the objects add up to: every object can be in place and the archive still not restorable. */
class VerifyServiceTest {

    static final long SEG = 16L << 20;

    @TempDir
    Path dir;

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aSegmentTheCatalogLacksAndNoSnapshotFailTheQuickPassThoughEveryObjectIsInPlace() {
        LocalStorage storage = new LocalStorage(dir.resolve("repo"));
        try (Repository repo = new Repository(storage, SqliteCatalog.open(dir.resolve("c.db")), new Zstd(3))) {
            ObjectCodec codec = repo.codec();
            for (long segno : new long[] {2, 3, 5}) {
                SegmentName name = new SegmentName(TimelineId.of(1), segno, SEG);
                byte[] plain = bytes(1000, segno);
                String key = "wal/" + name.fileName() + ".zst";
                long stored = codec.put(storage, key, Map.of(), out -> out.write(plain))
                        .storedSize();
                repo.catalog()
                        .recordSegment(new SegmentRecord(
                                name, plain.length, stored, Sha256.of(plain), key, null, Instant.now(), null));
            }
            VerifyService verify = new VerifyService(repo, 0, new PrintWriter(new StringWriter()));
            VerifyService.Report r = verify.verify(null, null, false);
            assertTrue(
                    r.problems().stream()
                            .anyMatch(p -> p.kind().equals("window") && p.what().contains("no complete snapshot")),
                    r.toString());

            byte[] tar = bytes(4000, 9);
            String key = "snapshots/20260101T000000Z/base.tar.zst";
            long stored =
                    codec.put(storage, key, Map.of(), out -> out.write(tar)).storedSize();
            SegmentName first = new SegmentName(TimelineId.of(1), 2, SEG);
            repo.catalog()
                    .createSnapshot(new SnapshotRecord(
                            new SnapshotId("20260101T000000Z"),
                            "t",
                            SnapshotRecord.Status.COMPLETE,
                            TimelineId.of(1),
                            new Lsn(first.startLsn().value() + 40),
                            new Lsn(first.startLsn().value() + 256),
                            Instant.now(),
                            Instant.now(),
                            first.walFileName(),
                            first.walFileName(),
                            tar.length,
                            stored,
                            Sha256.of(tar),
                            key,
                            null,
                            null,
                            RetentionState.RETAINED));
            r = verify.verify(null, null, false);
            // every object is in storage as the catalog says; segment 4 is in neither
            assertEquals(1, r.problems().size(), r.toString());
            VerifyService.Problem gap = r.problems().get(0);
            assertEquals("window", gap.kind(), r.toString());
            assertTrue(gap.object().contains("000000010000000000000004"), r.toString());
            assertEquals(3, r.timelines().get(0).segments(), r.toString());
        }
    }
}
