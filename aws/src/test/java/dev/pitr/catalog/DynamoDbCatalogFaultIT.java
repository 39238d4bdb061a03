package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.aws.AwsClients;
import dev.pitr.aws.DynamoDbLocalServer;
import dev.pitr.aws.FaultProxy;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The DynamoDB catalog through a proxy that throttles, resets or stalls every third request. A write whose answer was
 * lost is repeated and then found already applied: every segment ends up recorded exactly once, and the fenced writes
 * of a lease holder behave the same.
 */
class DynamoDbCatalogFaultIT {

    static DynamoDbLocalServer server;
    static FaultProxy proxy;
    static DynamoDbClient ddb;

    @BeforeAll
    static void start() throws Exception {
        server = DynamoDbLocalServer.start();
        try (DynamoDbClient direct = server.client()) {
            DynamoDbCatalog.createTable(direct, "faults");
        }
        proxy = new FaultProxy(server.endpoint(), FaultProxy.Service.DYNAMODB, 3, 3_000);
        ddb = AwsClients.dynamoDb(AwsClients.Settings.of("us-east-1", proxy.endpoint())
                .withCredentials("pitrtest", "pitrtestsecret")
                .withAttemptTimeout(Duration.ofSeconds(2))
                .withMaxAttempts(12));
    }

    @AfterAll
    static void stop() throws Exception {
        ddb.close();
        proxy.close();
        server.close();
    }

    @Test
    void everySegmentIsRecordedExactlyOnceDespiteFaults() {
        try (DynamoDbCatalog catalog = new DynamoDbCatalog(ddb, "faults", "42")) {
            ShippingLease lease = catalog.acquireShippingLease("host:/spool", Duration.ofMinutes(5));
            for (long segno = 1; segno <= 30; segno++) {
                catalog.recordSegment(CatalogContractTest.segment(1, segno, "sha-" + segno));
                if (segno % 10 == 0) {
                    lease.renew();
                }
            }
            proxy.passThrough(true);
            Set<Long> seen = new HashSet<>();
            for (SegmentRecord r : catalog.allSegments()) {
                assertTrue(seen.add(r.name().segno()), "twice: " + r.name());
                assertEquals("sha-" + r.name().segno(), r.checksum());
            }
            assertEquals(30, seen.size());
        }
        assertTrue(proxy.count(FaultProxy.Fault.THROTTLE) > 0, proxy.summary());
        assertTrue(proxy.count(FaultProxy.Fault.RESET_MID_BODY) > 0, proxy.summary());
        assertTrue(proxy.count(FaultProxy.Fault.STALL) > 0, proxy.summary());
    }
}
