package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestorePlanner;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.TargetTimeline;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteCatalogTest extends CatalogContractTest {

    @TempDir
    Path dir;

    @Override
    protected Catalog newCatalog() {
        return SqliteCatalog.open(dir.resolve("catalog.db"));
    }

    @Test
    void aSecondProcessSeesWhatTheFirstRecorded() {
        catalog.recordSegment(segment(1, 4, "x"));
        try (Catalog reader = SqliteCatalog.openReadOnly(dir.resolve("catalog.db"))) {
            assertEquals("x", reader.allSegments().get(0).checksum());
        }
    }

    /** Changes the catalog file behind the open catalog's back, as a damaged disk or a careless hand would. */
    private void damage(String sql, String value) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("catalog.db"));
                PreparedStatement ps = c.prepareStatement(sql)) {
            if (value != null) {
                ps.setString(1, value);
            }
            assertTrue(ps.executeUpdate() > 0, sql);
        }
    }

    @Test
    void aDamagedOrMissingSummaryIsSummedUpAgainFromTheSegmentRecords() throws Exception {
        for (long n = 0; n < 21; n++) {
            catalog.recordSegment(segment(1, n, "a" + n));
        }
        catalog.recordSegment(segment(1, 4096 + 5, "far"));
        List<SegmentBlock> good = catalog.segmentBlocks();
        assertEquals(summedUpAgain(), good);

        String wrongRange = good.get(0).encode().replace("[[0,20,", "[[0,30,");
        assertNotEquals(good.get(0).encode(), wrongRange);
        damage("UPDATE segment_blocks SET body = ? WHERE block = 0", wrongRange);
        assertEquals(good, catalog.segmentBlocks());

        damage("UPDATE segment_blocks SET body = ? WHERE block = 0", "{not a summary");
        assertEquals(good, catalog.segmentBlocks());

        damage("DELETE FROM segment_blocks WHERE block = 1", null);
        assertEquals(good, catalog.segmentBlocks());

        // a writer that does not keep the summaries, as an earlier version of pitr on another host
        long at = 22 * SEG;
        damage(
                "INSERT INTO segments (file_name, timeline, segno, segment_size, start_lsn, end_lsn, plain_size,"
                        + " stored_size, sha256, storage_key, archived_at) VALUES (?, 1, 22, " + SEG + ", " + at + ", "
                        + (at + SEG) + ", " + SEG + ", 10, 'x', 'k', 0)",
                segment(1, 22, "").name().fileName());
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
        assertEquals(22, catalog.segmentBlocks().get(0).count());
        try (Catalog reopened = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            assertEquals(summedUpAgain(), reopened.segmentBlocks());
        }
    }

    @Test
    void aPlanReadsItsRecordsAndIsNeverMadeFromASummaryTheyContradict() throws Exception {
        for (long n = 2; n <= 12; n++) {
            catalog.recordSegment(segment(1, n, "a" + n));
        }
        Instant t = Instant.parse("2025-11-23T14:00:00Z");
        catalog.createSnapshot(new SnapshotRecord(
                new SnapshotId("20251123T140000Z"),
                null,
                SnapshotRecord.Status.COMPLETE,
                TimelineId.of(1),
                new Lsn(2 * SEG + 0x28),
                new Lsn(3 * SEG + 0x100),
                t,
                t.plusSeconds(60),
                segment(1, 2, "").name().walFileName(),
                segment(1, 3, "").name().walFileName(),
                1,
                1,
                "s",
                "snapshots/x",
                null,
                null,
                null));
        assertEquals(
                11,
                RestorePlanner.plan(catalog, new RestoreTarget.Latest(), new TargetTimeline.Latest(), true, null)
                        .segments()
                        .size());

        // a segment record lost behind the summary's back: the summary says 2 to 12, the records lack 8
        damage("DELETE FROM segments WHERE segno = 8", null);
        PitrException e = assertThrows(
                PitrException.class,
                () -> RestorePlanner.plan(
                        catalog, new RestoreTarget.Latest(), new TargetTimeline.Latest(), true, null));
        assertEquals(ErrorCode.WAL_GAP, e.code(), e.getMessage());
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
    }

    @Test
    void readOnlyOpenOfAMissingCatalogFails() {
        assertThrows(CatalogException.class, () -> SqliteCatalog.openReadOnly(dir.resolve("none.db")));
    }
}
