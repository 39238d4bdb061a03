package dev.pitr.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.ExpiredSegment;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.storage.LocalStorage;
import dev.pitr.storage.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pitr retention apply} killed with SIGKILL at random moments, 20 times, over an archive of 6,000 segments and
 * their snapshots: after every kill the catalog and the storage agree (every record the catalog calls restorable has
 * its objects; nothing recorded as removed is still stored), and a last run completes the work.
 */
class RetentionCrashIT {

    @TempDir
    Path dir;

    @Test
    void killedRunsNeverLeaveARestorableRecordWithoutItsObjects() throws Exception {
        Path repo = dir.resolve("repo");
        Path catalogFile = dir.resolve("catalog.db");
        Path config = dir.resolve("pitr.yaml");
        Files.writeString(config, """
        storage:
          path: repo
        catalog:
          path: catalog.db
        retention:
          daily: 2
          weekly: 1
          monthly: 0
          min_window: 1h
          grace: 0s
        """);
        // large enough that one run takes longer than the kill delays (listing and removal are fast on local storage)
        ArchiveHistory h = new ArchiveHistory(2026, 6000, 6001);
        Storage storage = new LocalStorage(repo);
        try (SqliteCatalog catalog = SqliteCatalog.open(catalogFile)) {
            fill(h, catalog, storage);
        }
        Random random = new Random(20261123);
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Process p = retention(config);
            long delay = 500L + random.nextInt(2000);
            boolean finished = p.waitFor(delay, TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly().waitFor();
            }
            outcomes.add(finished ? "finished (exit " + p.exitValue() + ")" : "killed after " + delay + " ms");
            assertAgree(catalogFile, storage, "after run " + (i + 1) + ": " + outcomes);
        }
        assertTrue(outcomes.stream().filter(o -> o.startsWith("killed")).count() >= 10, outcomes.toString());
        Process last = retention(config);
        assertTrue(last.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, last.exitValue(), Files.readString(dir.resolve("retention.log")));
        assertAgree(catalogFile, storage, "after the last run");
        try (SqliteCatalog catalog = SqliteCatalog.open(catalogFile)) {
            assertTrue(
                    catalog.expiredSegments().stream().allMatch(e -> e.removedAt() != null),
                    "the last run finished it");
            assertTrue(
                    catalog.allSegments().size() < h.segments.size() / 2,
                    catalog.allSegments().size() + " segments left");
        }
    }

    private Process retention(Path config) throws Exception {
        return new ProcessBuilder(
                        "java",
                        "-jar",
                        System.getProperty("pitr.jar"),
                        "--config",
                        config.toString(),
                        "retention",
                        "apply")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("retention.log").toFile())
                .start();
    }

    private static void assertAgree(Path catalogFile, Storage storage, String when) {
        try (SqliteCatalog catalog = SqliteCatalog.open(catalogFile)) {
            for (SegmentRecord s : catalog.allSegments()) {
                assertTrue(
                        storage.stat(s.storageKey()).isPresent(), when + ": " + s.name() + " is listed but not stored");
            }
            for (SnapshotRecord s : catalog.snapshots()) {
                if (s.status() == SnapshotRecord.Status.COMPLETE) {
                    assertTrue(
                            storage.stat(s.storageKey()).isPresent(), when + ": snapshot " + s.id() + " is not stored");
                }
            }
            for (ExpiredSegment e : catalog.expiredSegments()) {
                if (e.removedAt() != null) {
                    assertFalse(
                            storage.stat(e.storageKey()).isPresent(),
                            when + ": " + e.fileName() + " is removed but stored");
                    assertFalse(
                            storage.stat(ObjectCodec.envelopeKey(e.storageKey()))
                                    .isPresent(),
                            when + ": envelope left");
                }
            }
        }
    }

    private static void fill(ArchiveHistory h, SqliteCatalog catalog, Storage storage) {
        for (SegmentRecord s : h.segments) {
            catalog.recordSegment(s);
            storage.put(s.storageKey(), out -> out.write(1));
            storage.put(ObjectCodec.envelopeKey(s.storageKey()), out -> out.write(2));
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
}
