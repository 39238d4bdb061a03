package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Capture killed with SIGKILL while it ships, then restarted: nothing lost, nothing recorded twice. The restarted
 * capture takes over the shipping lease at once, since it works on the same spool. {@link CaptureCrashOnAwsIT} runs
 * it on S3 and DynamoDB.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureCrashIT {

    ArchiveFixture fx;

    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.LOCAL;
    }

    @BeforeAll
    void setUp() {
        fx = new ArchiveFixture("crash", backend());
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private void bulk(int from, int to) {
        // COPY-speed WAL: a few segments per call
        fx.primary.execute(
                "INSERT INTO t SELECT g, repeat(md5(g::text), 20) FROM generate_series(" + from + ", " + to + ") g");
    }

    @Test
    void sigkillDuringShippingLosesAndDuplicatesNothing() throws Exception {
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE t (id int PRIMARY KEY, pad text)");
        fx.ok("snapshot", "create");
        bulk(1, 60_000);
        // kill as soon as shipping is under way
        for (int i = 0; i < 300 && !fx.captureLog().contains("archived"); i++) {
            Thread.sleep(50);
        }
        fx.capture().destroyForcibly().waitFor();
        bulk(60_001, 120_000);
        fx.startCapture();
        bulk(120_001, 180_000);
        fx.switchAndAwaitArchived();
        fx.stopCapture();
        assertTrue(fx.captureLog().contains("capture stopped"), fx.captureLog());

        try (Repository repo = fx.repository()) {
            Catalog catalog = repo.catalog();
            SnapshotRecord snap = catalog.snapshots().get(0);
            List<SegmentRecord> segs = catalog.allSegments();
            Set<String> names = new HashSet<>();
            long expect = -1;
            for (SegmentRecord s : segs) {
                assertTrue(names.add(s.name().fileName()), "recorded twice: " + s.name());
                if (s.name().walFileName().compareTo(snap.firstSegment()) < 0) {
                    continue;
                }
                if (expect >= 0) {
                    assertEquals(expect, s.name().segno(), "gap before " + s.name());
                }
                expect = s.name().segno() + 1;
            }
            assertTrue(names.contains(snap.firstSegment().text()));
            assertTrue(names.size() >= 6, "expected several segments, got " + names);
        }

        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals("180000", fx.restoredServer(dir, port).queryOne("SELECT count(*) FROM t"));
    }
}
