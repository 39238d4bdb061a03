package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * An archive in S3 with its catalog in DynamoDB ({@link dev.pitr.aws.TestAws}): bad input is refused with its own exit
 * code and changes nothing, a second capture is kept out by the lease, and the catalog is rebuilt from the objects
 * alone after its table is deleted, exactly enough for a point-in-time restore.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsAws
class AwsArchiveIT {

    static ArchiveFixture fx;
    static Instant betweenBatches;

    @BeforeAll
    static void archive() throws Exception {
        fx = new ArchiveFixture("aws", ArchiveFixture.Backend.AWS);
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY)");
        fx.primary.execute("INSERT INTO marker SELECT generate_series(1, 50)");
        fx.ok("snapshot", "create");
        fx.primary.execute("INSERT INTO marker SELECT generate_series(51, 100)");
        Thread.sleep(300);
        betweenBatches = Instant.now();
        Thread.sleep(300);
        fx.primary.execute("INSERT INTO marker SELECT generate_series(101, 150)");
        fx.switchAndAwaitArchived();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    /**
     * What storage holds but for the chunks of the segment being written: capture keeps running beside these tests and
     * ships a chunk whenever the server writes (a standby snapshot record every 15 s, say).
     */
    private static List<String> storedKeys() {
        try (Repository r = fx.repository()) {
            return r.storage().list("").stream()
                    .filter(k -> !k.startsWith("partial/"))
                    .toList();
        }
    }

    @Test
    @Order(1)
    void aSecondCaptureForTheSameClusterIsRefusedAndNamesTheHolder() {
        Cli.Run r = fx.cliWithEnv(
                Map.of("PITR_WAL_SPOOL_DIR", fx.base.resolve("spool2").toString()), "wal", "capture");
        assertEquals(17, r.exitCode(), r.toString());
        assertTrue(
                r.err().contains(fx.base.resolve("spool").toString()) && r.err().contains("HINT:"), r.toString());
    }

    @Test
    @Order(2)
    void theSnapshotsBackupManifestIsAnObjectBesideItThatMatchesItsChecksum() throws Exception {
        try (Repository r = fx.repository()) {
            SnapshotRecord s = r.catalog().snapshots().get(0);
            BackupManifest m = s.backupManifest();
            assertEquals(BackupManifest.keyFor(s.id()), m.storageKey());
            byte[] text;
            try (InputStream in = r.codec().open(r.storage(), m.storageKey(), false)) {
                text = in.readAllBytes();
            }
            assertEquals(m.size(), text.length);
            assertEquals(m.sha256(), dev.pitr.codec.Sha256.of(text));
            assertTrue(
                    new String(text, java.nio.charset.StandardCharsets.UTF_8)
                            .contains("PostgreSQL-Backup-Manifest-Version"),
                    "PostgreSQL's manifest");
        }
    }

    @Test
    @Order(2)
    void aConflictingSegmentIsRefusedAndTheArchivedOneKept() throws Exception {
        SegmentRecord seg;
        byte[] before;
        try (Repository r = fx.repository()) {
            seg = r.catalog().allSegments().get(0);
            try (InputStream in = r.storage().open(seg.storageKey())) {
                before = in.readAllBytes();
            }
        }
        Path fake = fx.base.resolve("conflict").resolve(seg.name().fileName());
        Files.createDirectories(fake.getParent());
        byte[] noise = new byte[(int) seg.plainSize()];
        new Random(1).nextBytes(noise);
        Files.write(fake, noise);
        Cli.Run r = fx.cli("wal", "push", fake.toString());
        assertEquals(11, r.exitCode(), r.toString());
        try (Repository repo = fx.repository();
                InputStream in = repo.storage().open(seg.storageKey())) {
            assertArrayEquals(before, in.readAllBytes());
            assertEquals(
                    seg.checksum(),
                    repo.catalog()
                            .segment(seg.name().walFileName())
                            .orElseThrow()
                            .checksum());
        }
    }

    @Test
    @Order(3)
    void aWrongBucketWrongTableOrBadCredentialsEachGetTheirOwnCodeAndChangeNothing() throws Exception {
        List<String> keys = storedKeys();
        Path seg = fx.base.resolve("bad-input").resolve("0000000100000000000000F0");
        Files.createDirectories(seg.getParent());
        Files.write(seg, new byte[16 << 20]);
        Cli.Run bucket = fx.cliWithEnv(Map.of("PITR_STORAGE_BUCKET", "no-such-bucket"), "wal", "push", seg.toString());
        assertEquals(147, bucket.exitCode(), bucket.toString());
        assertTrue(bucket.err().contains("bucket") && bucket.err().contains("HINT:"), bucket.toString());
        Cli.Run table = fx.cliWithEnv(Map.of("PITR_CATALOG_TABLE", "no-such-table"), "snapshot", "list");
        assertEquals(147, table.exitCode(), table.toString());
        assertTrue(table.err().contains("table"), table.toString());
        Cli.Run creds = fx.cliWithEnv(
                Map.of("PITR_AWS_SECRET_ACCESS_KEY", "wrong", "PITR_STORAGE_MAX_ATTEMPTS", "2"),
                "wal",
                "push",
                seg.toString());
        assertEquals(148, creds.exitCode(), creds.toString());
        assertTrue(creds.err().contains("credentials") && !creds.err().contains("wrong"), creds.toString());
        Cli.Run init = fx.cliWithEnv(Map.of("PITR_STORAGE_BUCKET", "no-such-bucket"), "init");
        assertEquals(147, init.exitCode(), init.toString());
        assertEquals(keys, storedKeys());
    }

    @Test
    @Order(4)
    void theCatalogIsRebuiltFromStorageAloneAfterItsTableIsDeleted() throws Exception {
        fx.stopCapture();
        List<SegmentRecord> segmentsBefore;
        try (Repository r = fx.repository()) {
            segmentsBefore = r.catalog().allSegments();
        }
        try (var ddb = fx.aws().dynamoDb()) {
            ddb.deleteTable(t -> t.tableName(fx.aws().table()));
        }
        Cli.Run r = fx.ok("catalog", "rebuild");
        assertTrue(r.out().contains("1 snapshots recorded"), r.toString());
        try (Repository repo = fx.repository()) {
            assertEquals(segmentsBefore, repo.catalog().allSegments());
            assertEquals(
                    SnapshotRecord.Status.COMPLETE,
                    repo.catalog().snapshots().get(0).status());
        }
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--to", betweenBatches.toString(), "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals(
                "100:1-100",
                fx.restoredServer(dir, port)
                        .queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));
    }
}
