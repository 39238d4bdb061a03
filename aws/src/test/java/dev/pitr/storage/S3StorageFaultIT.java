package dev.pitr.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.aws.AwsClients;
import dev.pitr.aws.FaultProxy;
import dev.pitr.aws.S3ProxyServer;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 storage through a proxy that throttles, resets or stalls every fourth request: every put that returns has
 * stored exactly its bytes, and every read returns them, multipart uploads and resumed reads included.
 */
class S3StorageFaultIT {

    static S3ProxyServer server;
    static FaultProxy proxy;
    static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        server = S3ProxyServer.start();
        server.createBucket("faults");
        proxy = new FaultProxy(server.endpoint(), FaultProxy.Service.S3, 4, 3_000);
        s3 = AwsClients.s3(AwsClients.Settings.of(S3ProxyServer.REGION, proxy.endpoint())
                .withCredentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)
                .withAttemptTimeout(Duration.ofSeconds(2))
                .withMaxAttempts(12));
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
        proxy.close();
        server.close();
    }

    @Test
    void everyObjectIsStoredAndReadExactlyDespiteFaults() throws Exception {
        Storage storage = new S3Storage(s3, new S3Storage.Options("faults", "", S3Storage.MIN_PART_BYTES, null, null));
        Random rnd = new Random(5);
        for (int i = 0; i < 12; i++) {
            // every third object takes the multipart path
            byte[] data = new byte[i % 3 == 0 ? 2 * S3Storage.MIN_PART_BYTES + 100 : 300_000 + i];
            rnd.nextBytes(data);
            String key = "obj/" + i;
            assertEquals(data.length, storage.put(key, Map.of("pitr-n", "" + i), out -> out.write(data)));
            try (InputStream in = storage.open(key)) {
                assertArrayEquals(data, in.readAllBytes(), key);
            }
            assertEquals(Map.of("pitr-n", "" + i), storage.metadata(key));
        }
        proxy.passThrough(true);
        assertEquals(12, storage.list("obj/").size());
        assertTrue(proxy.count(FaultProxy.Fault.THROTTLE) > 0, proxy.summary());
        assertTrue(proxy.count(FaultProxy.Fault.RESET_MID_BODY) > 0, proxy.summary());
        assertTrue(proxy.count(FaultProxy.Fault.STALL) > 0, proxy.summary());
        // no upload may be left half-done
        assertEquals(
                0, s3.listMultipartUploads(r -> r.bucket("faults")).uploads().size());
    }
}
