package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.cli.Cli;
import dev.pitr.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Point-in-time restores against a real PostgreSQL 15: rows are committed in three batches around a snapshot, and
 * each restore must hold exactly the rows committed at or before its target. Runs on the embedded default; {@link
 * RestoreOnAwsIT} runs the same tests on S3 and DynamoDB.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestoreIT {

    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.LOCAL;
    }

    ArchiveFixture fx;
    Instant beforeSnapshot;
    Instant betweenBatches;
    String lsnAfterKept;

    ArchiveFixture fixture() {
        return new ArchiveFixture("restore", backend());
    }

    @BeforeAll
    void archiveAPrimary() throws Exception {
        fx = fixture();
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 50, "early");
        beforeSnapshot = Instant.now();
        Thread.sleep(50);
        fx.ok("snapshot", "create", "--label", "it");
        ArchiveFixture.insertMarkers(fx.primary, 51, 100, "kept");
        lsnAfterKept = fx.primary.queryOne("SELECT pg_current_wal_insert_lsn()");
        Thread.sleep(300);
        betweenBatches = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(fx.primary, 101, 150, "late");
        fx.switchAndAwaitArchived();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private String restoredRows(Path dir, int port) {
        LocalCluster c = fx.restoredServer(dir, port);
        return c.queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker");
    }

    @Test
    void timeTargetKeepsExactlyTheRowsCommittedUpToIt() {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        Cli.Run r = fx.ok(
                "restore", "--to", betweenBatches.toString(), "--target-dir", dir.toString(), "--port", "" + port);
        assertTrue(r.out().contains("recovery stopped before commit"), r.toString());
        assertEquals("100:1-100", restoredRows(dir, port));
        // the restored server must not archive into the repository it came from
        assertEquals("off", fx.restoredServer(dir, port).queryOne("SHOW archive_mode"));
    }

    @Test
    void timeWithoutOffsetIsReadInTheConfiguredZone() {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        String local = betweenBatches.toString().replace('T', ' ').replace("Z", "");
        fx.ok("restore", "--to", local, "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals("100:1-100", restoredRows(dir, port));
    }

    @Test
    void lsnTargetKeepsExactlyTheRowsWrittenBeforeIt() {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--lsn", lsnAfterKept, "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals("100:1-100", restoredRows(dir, port));
    }

    @Test
    void latestReplaysEverythingArchived() {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals("150:1-150", restoredRows(dir, port));
        // recovery has ended: what restore_command read is gone from where pg_read_file reaches
        assertFalse(Files.exists(dir.resolve(RestoreSteps.FETCH_CONFIG)));
        assertFalse(Files.exists(dir.resolve(RestoreSteps.KEY_DIR)));
    }

    @Test
    void aPausedRestoreKeepsWhatRestoreCommandReadsAndItOpensTheSameArchive() {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok(
                "restore",
                "--to",
                betweenBatches.toString(),
                "--action",
                "pause",
                "--target-dir",
                dir.toString(),
                "--port",
                "" + port);
        assertEquals("100:1-100", restoredRows(dir, port));
        Cli.Run r = Cli.run(
                java.util.Map.of(),
                "--config",
                dir.resolve(RestoreSteps.FETCH_CONFIG).toString(),
                "snapshot",
                "list");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("it"), r.toString());
    }

    @Test
    void malformedTimestampIsRefusedBeforeAnythingIsWritten() {
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cli("restore", "--to", "2025-13-45 25:61", "--target-dir", dir.toString());
        assertEquals(5, r.exitCode(), r.toString());
        assertTrue(r.err().contains("malformed timestamp") && r.err().contains("HINT:"), r.toString());
        assertFalse(Files.exists(dir));
    }

    @Test
    void targetBeforeTheFirstSnapshotIsRefused() {
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cli("restore", "--to", beforeSnapshot.toString(), "--target-dir", dir.toString());
        assertEquals(6, r.exitCode(), r.toString());
        assertTrue(
                r.err().contains("earlier than the first snapshot") && r.err().contains("HINT:"), r.toString());
        assertFalse(Files.exists(dir));
    }

    @Test
    void nonEmptyTargetDirectoryIsRefusedAndLeftAlone() throws Exception {
        Path dir = fx.newTargetDir();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("precious"), "keep me");
        Cli.Run r = fx.cli("restore", "--latest", "--target-dir", dir.toString());
        assertEquals(7, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--force"), r.toString());
        assertEquals("keep me", Files.readString(dir.resolve("precious")));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void lsnBeyondTheArchiveIsRefusedWithTheWindow() {
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cli("restore", "--lsn", "FF/0", "--target-dir", dir.toString());
        assertEquals(6, r.exitCode(), r.toString());
        assertTrue(r.err().contains("restorable window"), r.toString());
        assertFalse(Files.exists(dir));
    }
}
