package dev.pitr.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/**
 * Services that are already running ({@code pitr.it.aws=endpoints}), here S3Proxy and DynamoDB Local: each instance
 * makes a bucket and a table of its own and leaves nothing behind, objects included; the mode's properties are
 * required; LocalStack without Docker is refused with the reason.
 */
class ConfiguredAwsIT {

    static EmbeddedAws running;

    @BeforeAll
    static void start() {
        running = EmbeddedAws.start();
    }

    @AfterAll
    static void stop() {
        running.close();
    }

    private static ConfiguredAws configured(AtomicBoolean stopped) {
        return new ConfiguredAws(
                running.s3Endpoint(),
                running.dynamoDbEndpoint(),
                running.region(),
                running.accessKey(),
                running.secretKey(),
                () -> stopped.set(true));
    }

    @Test
    void eachInstanceHasItsOwnArchiveAndRemovesItWhenClosed() {
        AtomicBoolean stopped = new AtomicBoolean();
        ConfiguredAws a = configured(stopped);
        ConfiguredAws b = configured(new AtomicBoolean());
        assertNotEquals(a.bucket(), b.bucket());
        assertTrue(a.bucket().startsWith("pitr-it-") && a.table().equals(a.bucket()), a.bucket());
        a.createArchive();
        try (var s3 = running.s3();
                var ddb = running.dynamoDb()) {
            s3.putObject(r -> r.bucket(a.bucket()).key("wal/one"), RequestBody.fromString("x"));
            s3.putObject(r -> r.bucket(a.bucket()).key("wal/two"), RequestBody.fromString("y"));
            assertEquals(
                    "ACTIVE",
                    ddb.describeTable(r -> r.tableName(a.table())).table().tableStatusAsString());
            a.close();
            assertTrue(stopped.get());
            assertFalse(
                    s3.listBuckets().buckets().stream().anyMatch(x -> x.name().equals(a.bucket())));
            assertThrows(ResourceNotFoundException.class, () -> ddb.describeTable(r -> r.tableName(a.table())));
        }
        b.close();
    }

    @Test
    void theEndpointsModeNeedsBothEndpoints() {
        System.clearProperty("pitr.it.s3.endpoint");
        IllegalStateException e = assertThrows(IllegalStateException.class, ConfiguredAws::fromProperties);
        assertTrue(e.getMessage().contains("-Dpitr.it.s3.endpoint=URL"), e.getMessage());
    }

    @Test
    void localStackWithoutDockerIsRefusedWithTheReason() {
        if (LocalStackAws.dockerAnswers()) {
            return;
        }
        assertTrue(LocalStackAws.unavailable().contains("needs a Docker engine"));
        assertThrows(org.opentest4j.TestAbortedException.class, LocalStackAws::requireDocker);
    }
}
