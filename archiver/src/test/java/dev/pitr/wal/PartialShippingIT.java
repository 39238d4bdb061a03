package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.config.Repository;
import dev.pitr.restore.RestoreWindow;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The segment being written, shipped as it grows, on a real primary with {@code archive_timeout} off: commits that
 * live only in that segment reach the restorable window within a couple of poll intervals, and a restore to the latest
 * point or to a time among them holds exactly the rows committed by then, replayed from the shipped chunks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartialShippingIT {

    ArchiveFixture fx;
    Instant between;
    String segment;
    long worstMillis;

    @BeforeAll
    void archive() throws Exception {
        fx = new ArchiveFixture("partial");
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        fx.ok("snapshot", "create");
        // start the rows in a fresh segment, with everything before it archived complete
        fx.switchAndAwaitArchived();
        segment = fx.primary.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
        for (int i = 1; i <= 30; i++) {
            // now() is the transaction's start: its commit record's time is no earlier
            Instant started =
                    Instant.parse(fx.primary.queryOne("INSERT INTO marker VALUES (" + i + ", 'partial') RETURNING"
                            + " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
            if (i % 5 == 0) {
                worstMillis = Math.max(worstMillis, millisUntilRestorable(started));
            }
            if (i == 20) {
                Thread.sleep(50);
                between = Instant.now();
                Thread.sleep(50);
            }
        }
        assertEquals(
                segment,
                fx.primary.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())"),
                "every row is still in the segment being written");
        fx.stopCapture();
    }

    @AfterAll
    void tearDown() throws Exception {
        fx.close();
    }

    /** How long until the window's latest point on timeline 1 reaches {@code commit}; fails after 10 s. */
    private long millisUntilRestorable(Instant commit) throws Exception {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos()) {
            try (Repository repo = fx.repository()) {
                List<RestoreWindow.Range> ranges = RestoreWindow.of(repo.catalog())
                        .timeline(TimelineId.of(1))
                        .ranges();
                if (!ranges.isEmpty()
                        && !ranges.get(ranges.size() - 1).endTime().isBefore(commit)) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("a commit at " + commit + " was not restorable within 10 s:\n" + fx.captureLog());
    }

    @Test
    @Order(1)
    void commitsInTheSegmentBeingWrittenAreRestorableWithinTwoSeconds() {
        assertTrue(worstMillis < 2000, "worst " + worstMillis + " ms");
        try (Repository repo = fx.repository()) {
            assertTrue(repo.catalog().segment(WalFileName.of(segment)).isEmpty(), "the segment itself is not complete");
            PartialSegment p = repo.catalog().partial(WalFileName.of(segment)).orElseThrow();
            assertTrue(p.chunkEnds().size() >= 2, "shipped in chunks as it grew: " + p.chunkEnds());
        }
    }

    @Test
    @Order(2)
    void aLatestRestoreReplaysTheShippedPartOfTheSegmentBeingWritten() throws Exception {
        assertEquals("30:1-30", fx.restoreMarkers("--latest"));
        // the restored server's new timeline begins exactly where the shipped WAL ends
        PartialSegment p;
        try (Repository repo = fx.repository()) {
            p = repo.catalog().partial(WalFileName.of(segment)).orElseThrow();
        }
        String history = java.nio.file.Files.readString(fx.base.resolve("restore-1/pg_wal/00000002.history"));
        assertEquals(p.endLsn().toString(), history.split("\t", -1)[1], history);
    }

    @Test
    @Order(3)
    void aTimeAmongTheShippedCommitsRestoresExactlyTheRowsBeforeIt() {
        assertEquals("20:1-20", fx.restoreMarkers("--to", between.toString()));
    }

    @Test
    @Order(4)
    void theCompleteSegmentReplacesThePartialOnceArchived() throws Exception {
        fx.startCapture();
        try {
            fx.switchAndAwaitArchived();
            try (Repository repo = fx.repository()) {
                // the record goes first, then the chunks: wait for both
                String prefix = PartialShipper.keyPrefix(SegmentName.parse(segment, 16L << 20));
                for (int i = 0;
                        i < 100
                                && (repo.catalog()
                                                .partial(WalFileName.of(segment))
                                                .isPresent()
                                        || !repo.storage().list(prefix).isEmpty());
                        i++) {
                    Thread.sleep(100);
                }
                assertTrue(repo.catalog().partial(WalFileName.of(segment)).isEmpty(), "partial record dropped");
                assertEquals(List.of(), repo.storage().list(prefix), "its chunks removed");
            }
            assertEquals("30:1-30", fx.restoreMarkers("--latest"));
        } finally {
            fx.stopCapture();
        }
    }
}
