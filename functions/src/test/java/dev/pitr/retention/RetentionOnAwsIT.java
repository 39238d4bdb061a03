package dev.pitr.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;
import dev.pitr.config.Key;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link RetentionIT} with the archive in S3 and the catalog in DynamoDB ({@link dev.pitr.aws.TestAws}), and retention
 * applied by the retention function from the Lambda jar, configured only by its environment as the stack configures it.
 * The second run is the command line's, with no retention keys of its own: it applies the policy the function recorded.
 */
@NeedsAws
class RetentionOnAwsIT extends RetentionIT {

    @Override
    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.AWS;
    }

    @Override
    JsonNode applyRetention(Instant cut) throws Exception {
        JsonNode dry = invoke(policy(windowTo(cut)), "{\"dryRun\": true}");
        assertTrue(dry.path("dryRun").asBoolean(), dry.toString());
        assertTrue(dry.path("snapshots").toString().contains("\"expire\""), dry.toString());
        return invoke(policy(windowTo(cut)), "{}");
    }

    private static Map<String, String> policy(String minWindow) {
        return Map.of(
                "PITR_RETENTION_DAILY",
                "1",
                "PITR_RETENTION_WEEKLY",
                "0",
                "PITR_RETENTION_MONTHLY",
                "0",
                "PITR_RETENTION_MIN_WINDOW",
                minWindow,
                "PITR_RETENTION_GRACE",
                "0s");
    }

    /** One call of the retention handler through the jar's stdio bridge, as the Lambda runtime would call it. */
    private JsonNode invoke(Map<String, String> policy, String input) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                "java", "-cp", System.getProperty("pitr.lambda.jar"), "dev.pitr.functions.LambdaStdio");
        Map<String, String> e = pb.environment();
        e.put("PITR_CATALOG_TABLE", fx.aws().table());
        e.put("PITR_CLUSTER_ID", fx.config().require(Key.CATALOG_CLUSTER));
        e.put("PITR_DYNAMODB_ENDPOINT", fx.aws().dynamoDbEndpoint().toString());
        e.put("PITR_STORAGE_BUCKET", fx.aws().bucket());
        e.put("PITR_STORAGE_PREFIX", "it");
        e.put("PITR_STORAGE_ENDPOINT", fx.aws().s3Endpoint().toString());
        e.put("AWS_REGION", fx.aws().region());
        e.put("AWS_ACCESS_KEY_ID", fx.aws().accessKey());
        e.put("AWS_SECRET_ACCESS_KEY", fx.aws().secretKey());
        e.putAll(policy);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(("{\"id\": 1, \"handler\": \"retention\", \"input\": " + input + "}\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        String line;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            line = out.readLine();
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        JsonNode reply = new ObjectMapper().readTree(line);
        assertEquals(
                List.of(),
                reply.has("error")
                        ? List.of(
                                reply.path("error").asText(),
                                reply.path("cause").asText())
                        : List.of());
        return reply.path("output");
    }
}
