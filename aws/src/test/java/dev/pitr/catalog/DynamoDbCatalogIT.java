package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.aws.DynamoDbLocalServer;
import dev.pitr.error.ErrorCode;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The catalog contract against DynamoDB Local, plus fencing, clusters apart, big manifests and a missing table. */
class DynamoDbCatalogIT extends CatalogContractTest {

    private static final AtomicInteger CLUSTERS = new AtomicInteger();
    static DynamoDbLocalServer server;
    static DynamoDbClient ddb;

    @BeforeAll
    static void startServer() {
        server = DynamoDbLocalServer.start();
        ddb = server.client();
        DynamoDbCatalog.createTable(ddb, "pitr");
    }

    @AfterAll
    static void stopServer() {
        ddb.close();
        server.close();
    }

    @Override
    protected Catalog newCatalog() {
        // one partition per test: the partition key is the cluster
        return new DynamoDbCatalog(ddb, "pitr", "7300000000000" + CLUSTERS.incrementAndGet());
    }

    @Test
    void aDamagedOrMissingSummaryIsSummedUpAgainFromTheSegmentRecords() {
        for (long n = 0; n < 21; n++) {
            catalog.recordSegment(segment(1, n, "a" + n));
        }
        catalog.recordSegment(segment(1, 4096 + 5, "far"));
        java.util.List<SegmentBlock> good = catalog.segmentBlocks();
        assertEquals(summedUpAgain(), good);
        String partition = ((DynamoDbCatalog) catalog).partition();
        java.util.Map<String, AttributeValue> page = new java.util.HashMap<>(java.util.Map.of(
                DynamoDbCatalog.PK, AttributeValue.fromS(partition),
                DynamoDbCatalog.SK, AttributeValue.fromS(DynamoBlocks.pageKey(TimelineId.of(1), 0))));

        java.util.Map<String, AttributeValue> garbage = new java.util.HashMap<>(page);
        garbage.put("ver", AttributeValue.fromN("99"));
        garbage.put("body", AttributeValue.fromB(software.amazon.awssdk.core.SdkBytes.fromUtf8String("not gzip")));
        ddb.putItem(p -> p.tableName("pitr").item(garbage));
        assertEquals(good, catalog.segmentBlocks());

        ddb.deleteItem(d -> d.tableName("pitr").key(page));
        assertEquals(good, catalog.segmentBlocks());
        catalog.recordSegment(segment(1, 21, "a21"));
        assertEquals(summedUpAgain(), catalog.segmentBlocks());
    }

    @Test
    void clustersAreApart() {
        catalog.recordSegment(segment(1, 5, "aa"));
        try (Catalog other = newCatalog()) {
            assertEquals(0, other.allSegments().size());
            other.recordSegment(segment(1, 5, "bb"));
        }
        assertEquals("aa", catalog.allSegments().get(0).checksum());
    }

    @Test
    void aFencedOutHolderCannotRecordSegments() throws Exception {
        ShippingLease old = catalog.acquireShippingLease("host-a:1", Duration.ofMillis(200));
        catalog.recordSegment(segment(1, 1, "a"));
        Thread.sleep(400);
        try (Catalog successorView = new DynamoDbCatalog(ddb, "pitr", clusterOf(catalog))) {
            successorView.acquireShippingLease("host-b:2", Duration.ofMinutes(1));
            assertThrows(LeaseHeldException.class, () -> catalog.recordSegment(segment(1, 2, "b")));
            successorView.recordSegment(segment(1, 2, "b"));
        }
        assertEquals(2, catalog.allSegments().size());
        assertTrue(old.token() > 0);
    }

    @Test
    void aSnapshotItemHoldsWhereItsBackupManifestIsNotTheManifest() {
        BackupManifest ref = new BackupManifest(
                BackupManifest.keyFor(new SnapshotId("20251123T144137Z")), "ab".repeat(32), 15_000_000);
        SnapshotRecord s = new SnapshotRecord(
                new SnapshotId("20251123T144137Z"),
                "l",
                SnapshotRecord.Status.COMPLETE,
                TimelineId.of(1),
                new Lsn(1),
                new Lsn(2),
                Instant.parse("2025-11-23T14:41:37Z"),
                Instant.parse("2025-11-23T14:42:00Z"),
                WalFileName.of("000000010000000000000001"),
                WalFileName.of("000000010000000000000002"),
                10,
                5,
                "ab",
                "snapshots/x",
                null,
                ref,
                null);
        catalog.createSnapshot(s);
        assertEquals(s, catalog.snapshot(s.id()).orElseThrow());
        assertEquals(1, catalog.snapshots().size());
        java.util.Map<String, AttributeValue> item = ddb.getItem(g -> g.tableName("pitr")
                        .key(java.util.Map.of(
                                DynamoDbCatalog.PK,
                                AttributeValue.fromS(((DynamoDbCatalog) catalog).partition()),
                                DynamoDbCatalog.SK,
                                AttributeValue.fromS("snap#20251123T144137Z"))))
                .item();
        assertTrue(item.toString().length() < 2000, item.toString());
    }

    @Test
    void aMissingTableIsItsOwnError() {
        Catalog none = new DynamoDbCatalog(ddb, "no-such-table", "1");
        CatalogException e = assertThrows(CatalogException.class, () -> none.recordSegment(segment(1, 1, "a")));
        assertEquals(ErrorCode.REPOSITORY_NOT_FOUND, e.code());
        assertThrows(CatalogException.class, ((DynamoDbCatalog) none)::verifyTable);
    }

    private static String clusterOf(Catalog c) {
        String d = c.describe();
        return d.substring(d.indexOf("cluster#") + "cluster#".length(), d.length() - 1);
    }
}
