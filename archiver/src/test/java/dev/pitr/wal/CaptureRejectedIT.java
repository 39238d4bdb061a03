package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.FaultProxy;
import dev.pitr.aws.NeedsAws;
import dev.pitr.cli.Cli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A catalog that rejects the request capture makes (a DynamoDB implementation without transactions answers 400
 * UnknownOperationException): capture backs off to at most one attempt a minute instead of retrying every pass, says
 * why once per attempt with the service's error, {@code pitr status} shows it as a warning, and shipping resumes, with
 * the warning gone, once the catalog accepts the request again.
 */
@NeedsAws
class CaptureRejectedIT {

    static ArchiveFixture fx;
    static FaultProxy dynamo;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new ArchiveFixture("rejected", ArchiveFixture.Backend.AWS);
        dynamo = new FaultProxy(fx.aws().dynamoDbEndpoint(), FaultProxy.Service.DYNAMODB, 1, 0);
        dynamo.passThrough(true);
        fx.routeThrough(fx.aws().s3Endpoint(), dynamo.endpoint(), 5);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
            dynamo.close();
        }
    }

    @Test
    void aRejectedRequestIsRetriedSparinglySaidInStatusAndShippingResumes() throws Exception {
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE t (i int)");
        fx.switchAndAwaitArchived();

        dynamo.reject("TransactWriteItems");
        fx.primary.execute("INSERT INTO t SELECT generate_series(1, 1000)");
        Lsn end = Lsn.parse(fx.primary.queryOne("SELECT pg_switch_wal()"));
        long from = System.nanoTime();
        while (dynamo.rejections() == 0 && System.nanoTime() - from < 60_000_000_000L) {
            Thread.sleep(100);
        }
        int first = dynamo.rejections();
        Thread.sleep(12_000);
        int inTwelveSeconds = dynamo.rejections() - first;
        // every pass (200 ms) would be about 60; backing off 1, 2, 4, 8 s is at most 4 or 5
        assertTrue(first > 0 && inTwelveSeconds <= 6, first + " then " + inTwelveSeconds + " rejections in 12 s");
        assertTrue(fx.captureLog().contains("(service-rejected), retrying in"), fx.captureLog());

        Cli.Run status = fx.cli("status");
        assertTrue(status.out().contains("capture cannot ship since"), status.toString());
        assertTrue(status.out().contains("UnknownOperationException"), status.toString());

        dynamo.reject(null);
        fx.awaitArchived(end);
        // said once the pass that shipped it is over, a moment after the catalog holds the segment
        for (int i = 0; i < 300 && !fx.captureLog().contains("shipping works again"); i++) {
            Thread.sleep(100);
        }
        assertTrue(fx.captureLog().contains("shipping works again"), fx.captureLog());
        Cli.Run after = fx.cli("status");
        assertFalse(after.out().contains("capture cannot ship"), after.toString());
    }
}
