package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The restorable window, the plan and the targets the time index makes possible, against a real PostgreSQL 15 on the
 * embedded default. Rows go in five batches: a (before the snapshot), b (ending with a known transaction and a
 * restore point), c, d (in a segment of its own, deleted at the end) and e. Each restore holds exactly the rows
 * committed at or before its target; the deleted segment then shows up as a gap that refuses targets beyond it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestoreWindowIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    ArchiveFixture fx;
    long xidOfRow40;
    Instant afterB;
    Instant afterC;
    Instant betweenDandE;
    Instant lastInsert;
    SegmentName segmentOfD;

    @BeforeAll
    void archiveAPrimary() throws Exception {
        fx = new ArchiveFixture("window");
        // no autovacuum: the last transaction archived must be the test's own
        fx.primary.execute("ALTER SYSTEM SET autovacuum = off");
        fx.primary.queryOne("SELECT pg_reload_conf()");
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 20, "a");
        fx.ok("snapshot", "create", "--label", "window");
        ArchiveFixture.insertMarkers(fx.primary, 21, 39, "b");
        xidOfRow40 = Long.parseLong(fx.primary.queryOne(
                "WITH x AS (INSERT INTO marker VALUES (40, 'b') RETURNING 1) SELECT txid_current() FROM x"));
        fx.primary.queryOne("SELECT pg_create_restore_point('after-b')");
        Thread.sleep(300);
        afterB = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(fx.primary, 41, 60, "c");
        Thread.sleep(300);
        afterC = Instant.now();
        Thread.sleep(300);
        switchAndAwait();
        ArchiveFixture.insertMarkers(fx.primary, 61, 80, "d");
        segmentOfD = switchAndAwait();
        Thread.sleep(300);
        betweenDandE = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(fx.primary, 81, 99, "e");
        lastInsert = OffsetDateTime.parse(
                        fx.primary.queryOne(
                                "WITH x AS (INSERT INTO marker VALUES (100, 'e') RETURNING 1)"
                                        + " SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM x"))
                .toInstant();
        switchAndAwait();
    }

    /** Ends the current segment (which holds writes) and waits until it is archived; returns it. */
    private SegmentName switchAndAwait() throws InterruptedException {
        Lsn end = Lsn.parse(fx.primary.queryOne("SELECT pg_switch_wal()"));
        fx.awaitArchived(end);
        return SegmentName.containing(TimelineId.of(1), new Lsn(end.value() - 1), 16L << 20);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private static Instant pgTime(String s) {
        return OffsetDateTime.parse(s, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSx"))
                .toInstant();
    }

    private JsonNode window() throws Exception {
        JsonNode tls = JSON.readTree(fx.ok("restore-window", "--json").out()).get("timelines");
        assertEquals(1, tls.size(), tls.toString());
        return tls.get(0);
    }

    @Test
    @Order(1)
    void theWindowRunsFromTheSnapshotsConsistencyPointToTheLastCommitArchived() throws Exception {
        JsonNode snap = JSON.readTree(fx.ok("snapshot", "list", "--json").out()).get(0);
        JsonNode tl = window();
        assertEquals(1, tl.get("ranges").size(), tl.toString());
        JsonNode range = tl.get("ranges").get(0);
        assertEquals(
                Instant.parse(snap.get("stop_time").asText()),
                pgTime(range.get("earliest_time").asText()));
        assertEquals(snap.get("stop_lsn").asText(), range.get("earliest_lsn").asText());
        Instant latest = pgTime(range.get("latest_time").asText());
        // the commit record's time is taken after the statement's clock_timestamp()
        assertFalse(latest.isBefore(lastInsert), latest + " vs " + lastInsert);
        assertTrue(Duration.between(lastInsert, latest).toMillis() < 1000, latest + " vs " + lastInsert);
        assertEquals("after-b", range.get("restore_points").get(0).get("name").asText(), range.toString());
        assertEquals(0, tl.get("gaps").size(), tl.toString());
    }

    @Test
    @Order(2)
    void aDryRunPrintsThePlanAndTouchesNothing() throws Exception {
        Path dir = fx.newTargetDir();
        JsonNode plan = JSON.readTree(
                fx.ok("restore", "--to", afterC.toString(), "--dry-run", "--json", "--target-dir", dir.toString())
                        .out());
        assertFalse(Files.exists(dir));
        assertEquals(1, plan.get("timeline").asLong());
        assertEquals(
                "window",
                JSON.readTree(fx.ok("snapshot", "list", "--json").out())
                        .get(0)
                        .get("label")
                        .asText());
        assertTrue(
                plan.get("recovery_settings")
                        .get("recovery_target_time")
                        .asText()
                        .endsWith("+00"),
                plan.toString());
        JsonNode wal = plan.get("wal");
        assertTrue(wal.size() >= 2, plan.toString());
        // the WAL ends with the segment holding the first commit after the target (d's); e's is not needed
        assertEquals(segmentOfD.fileName(), wal.get(wal.size() - 1).get("file").asText(), plan.toString());
        for (JsonNode f : wal) {
            assertTrue(f.get("stored_bytes").asLong() > 0, f.toString());
        }
        assertTrue(plan.get("estimated_seconds").asDouble() > 0, plan.toString());
        Cli.Run text = fx.ok("restore", "--xid", Long.toString(xidOfRow40), "--dry-run");
        assertTrue(text.out().contains("recovery_target_xid = '" + xidOfRow40 + "'"), text.toString());
    }

    @Test
    @Order(3)
    void aTargetOutsideTheWindowIsRefusedFastWithTheWindowInTheMessage() {
        Path dir = fx.newTargetDir();
        long t0 = System.nanoTime();
        Cli.Run r = fx.cli("restore", "--to", lastInsert.plusSeconds(3600).toString(), "--target-dir", dir.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(6, r.exitCode(), r.toString());
        assertTrue(
                r.err().contains("later than the last transaction archived")
                        && r.err().contains("restorable window on timeline 1"),
                r.toString());
        assertTrue(ms < 5000, ms + " ms");
        assertFalse(Files.exists(dir));
        Cli.Run name = fx.cli("restore", "--name", "no-such-point", "--target-dir", dir.toString());
        assertEquals(6, name.exitCode(), name.toString());
        assertTrue(name.err().contains("restore point 'no-such-point'"), name.toString());
        Cli.Run xid = fx.cli("restore", "--xid", "4000000000", "--target-dir", dir.toString());
        assertEquals(6, xid.exitCode(), xid.toString());
        Cli.Run tli = fx.cli("restore", "--latest", "--timeline", "7", "--target-dir", dir.toString());
        assertEquals(18, tli.exitCode(), tli.toString());
        assertFalse(Files.exists(dir));
    }

    @Test
    @Order(4)
    void anXidTargetStopsAfterThatTransactionOrJustBeforeIt() {
        assertEquals("40:1-40", fx.restoreMarkers("--xid", Long.toString(xidOfRow40)));
        assertEquals("39:1-39", fx.restoreMarkers("--xid", Long.toString(xidOfRow40), "--exclusive"));
    }

    @Test
    @Order(5)
    void aRestorePointAndTheImmediateTargetStopWhereTheySay() {
        assertEquals("40:1-40", fx.restoreMarkers("--name", "after-b"));
        assertEquals("20:1-20", fx.restoreMarkers("--immediate"));
    }

    @Test
    @Order(10)
    void aDeletedSegmentIsAGapThatRefusesTargetsBeyondItButNotBefore() throws Exception {
        fx.stopCapture();
        try (Repository repo = fx.repository()) {
            repo.storage().delete(WalKeys.segment(segmentOfD));
        }
        Files.move(fx.base.resolve("catalog.db"), fx.base.resolve("catalog.db.before-gap"));
        fx.ok("catalog", "rebuild");

        JsonNode tl = window();
        JsonNode gaps = tl.get("gaps");
        assertEquals(1, gaps.size(), tl.toString());
        assertEquals("missing-segment", gaps.get(0).get("kind").asText());
        assertEquals(segmentOfD.fileName(), gaps.get(0).get("files").get(0).asText());
        JsonNode range = tl.get("ranges").get(0);
        assertEquals(segmentOfD.startLsn().toString(), range.get("latest_lsn").asText(), tl.toString());
        // the time index came back from the objects' metadata
        assertEquals("after-b", range.get("restore_points").get(0).get("name").asText(), range.toString());

        Path dir = fx.newTargetDir();
        long t0 = System.nanoTime();
        Cli.Run beyond = fx.cli("restore", "--to", betweenDandE.toString(), "--target-dir", dir.toString());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000);
        assertEquals(12, beyond.exitCode(), beyond.toString());
        assertTrue(
                beyond.err().contains(segmentOfD.fileName()) && beyond.err().contains("not archived"),
                beyond.toString());
        Cli.Run latest = fx.cli("restore", "--latest", "--target-dir", dir.toString());
        assertEquals(12, latest.exitCode(), latest.toString());
        assertTrue(latest.err().contains("gap"), latest.toString());
        assertFalse(Files.exists(dir));

        // after c's last commit nothing is known: the missing segment may hold commits before any later time
        assertEquals(
                12,
                fx.cli("restore", "--to", afterC.toString(), "--target-dir", dir.toString())
                        .exitCode());
        assertEquals("40:1-40", fx.restoreMarkers("--to", afterB.toString()));
    }
}
