package dev.pitr.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.aws.AwsClients;
import dev.pitr.aws.LocalStackAws;
import dev.pitr.catalog.DynamoDbCatalog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.BindMode;
import org.testcontainers.localstack.LocalStackContainer;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;

/**
 * The stack deployed into LocalStack the way the compose topology does it: {@code localstack/synth.sh} writes the
 * cloud assembly, a LocalStack container runs {@code localstack/init/ready.d/10-pitr-stack.sh} with it, and the
 * hook's outputs file names a versioned bucket, the catalog table with pitr's keys and the restore state machine with
 * the states of {@code restore.asl.json}, which runs a restore of a cluster with nothing archived through its Lambda
 * functions to the failure it must end in. Runs with {@code -Plocalstack}; without a Docker engine it reports skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIf(
        value = "dev.pitr.aws.LocalStackAws#dockerAnswers",
        disabledReason = "LocalStackDeploymentIT needs a Docker engine and none answers here")
class LocalStackDeploymentIT {

    static final String CLUSTER = "7300000000000000042";

    @TempDir
    Path dir;

    LocalStackContainer localstack;
    Map<String, String> outputs = new HashMap<>();

    @BeforeAll
    void deploy() throws Exception {
        Path out = dir.resolve("cdk.out");
        Process synth = new ProcessBuilder(
                        "bash",
                        LocalStackDeploymentTest.LOCALSTACK.resolve("synth.sh").toString(),
                        out.toString())
                .inheritIO()
                .start();
        assertEquals(0, synth.waitFor());
        Path cluster = Files.createDirectories(dir.resolve("cluster"));
        Files.writeString(cluster.resolve("system_identifier"), CLUSTER + "\n");
        Path stack = Files.createDirectories(dir.resolve("stack"));
        stack.toFile().setWritable(true, false);
        localstack = LocalStackAws.container()
                .withServices(
                        "s3",
                        "dynamodb",
                        "lambda",
                        "stepfunctions",
                        "iam",
                        "sts",
                        "cloudformation",
                        "ssm",
                        "kms",
                        "logs",
                        "events")
                .withEnv("LAMBDA_IGNORE_ARCHITECTURE", "1")
                .withFileSystemBind(
                        LocalStackDeploymentTest.HOOK.getParent().toString(),
                        "/etc/localstack/init/ready.d",
                        BindMode.READ_ONLY)
                .withFileSystemBind(out.toString(), "/opt/pitr/cdk.out", BindMode.READ_ONLY)
                .withFileSystemBind(cluster.toString(), "/var/lib/pitr/cluster", BindMode.READ_ONLY)
                .withFileSystemBind(stack.toString(), "/var/lib/pitr/stack", BindMode.READ_WRITE)
                .withFileSystemBind("/var/run/docker.sock", "/var/run/docker.sock", BindMode.READ_WRITE)
                .withStartupTimeout(Duration.ofMinutes(5));
        localstack.start();
        JsonNode init = awaitInitHooks();
        for (JsonNode script : init.path("scripts")) {
            assertEquals("SUCCESSFUL", script.path("state").asText(), init.toString());
        }
        for (String line : Files.readAllLines(stack.resolve("outputs.env"))) {
            int eq = line.indexOf('=');
            outputs.put(line.substring(0, eq), line.substring(eq + 1));
        }
    }

    @AfterAll
    void stop() {
        if (localstack != null) {
            localstack.stop();
        }
    }

    /** LocalStack's account of its init hooks once they have all run (its /_localstack/init/ready resource). */
    private JsonNode awaitInitHooks() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = localstack.getEndpoint().resolve("/_localstack/init/ready");
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            JsonNode state = new ObjectMapper()
                    .readTree(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                            .body());
            if (state.path("completed").asBoolean()) {
                return state;
            }
            assertTrue(System.nanoTime() < deadline, "the init hooks did not finish: " + state);
            Thread.sleep(2000);
        }
    }

    private AwsClients.Settings settings() {
        return AwsClients.Settings.of(localstack.getRegion(), localstack.getEndpoint())
                .withCredentials(localstack.getAccessKey(), localstack.getSecretKey());
    }

    @Test
    void theOutputsNameTheClusterAndEveryResourcePitrIsConfiguredWith() {
        assertEquals(
                Set.of(
                        "PITR_STORAGE_BUCKET",
                        "PITR_CATALOG_TABLE",
                        "PITR_STORAGE_SSE_KMS_KEY_ID",
                        "PITR_STEPFUNCTIONS_ACTIVITY_ARN",
                        "PITR_STEPFUNCTIONS_STATE_MACHINE_ARN",
                        "PITR_CATALOG_CLUSTER"),
                outputs.keySet());
        assertEquals(CLUSTER, outputs.get("PITR_CATALOG_CLUSTER"));
    }

    @Test
    void theBucketIsVersionedAndTheTableHasPitrsKeys() {
        try (var s3 = AwsClients.s3(settings());
                var ddb = AwsClients.dynamoDb(settings())) {
            assertEquals(
                    BucketVersioningStatus.ENABLED,
                    s3.getBucketVersioning(r -> r.bucket(outputs.get("PITR_STORAGE_BUCKET")))
                            .status());
            Set<String> keys = new TreeSet<>();
            for (KeySchemaElement k : ddb.describeTable(r -> r.tableName(outputs.get("PITR_CATALOG_TABLE")))
                    .table()
                    .keySchema()) {
                keys.add(k.attributeName() + ":" + k.keyTypeAsString());
            }
            assertEquals(Set.of("pk:HASH", "sk:RANGE"), keys);
        }
    }

    @Test
    void theStateMachineHasTheStatesOfTheAslFile() throws Exception {
        JsonNode asl;
        try (var in = getClass().getResourceAsStream("/dev/pitr/functions/restore.asl.json")) {
            asl = new ObjectMapper().readTree(in);
        }
        try (var sfn = AwsClients.sfn(settings())) {
            JsonNode deployed = new ObjectMapper()
                    .readTree(sfn.describeStateMachine(
                                    r -> r.stateMachineArn(outputs.get("PITR_STEPFUNCTIONS_STATE_MACHINE_ARN")))
                            .definition());
            assertEquals(names(asl.path("States")), names(deployed.path("States")));
            assertEquals(asl.path("StartAt").asText(), deployed.path("StartAt").asText());
        }
    }

    /**
     * A restore of a cluster with nothing archived, run by LocalStack's Step Functions: the Plan function (in LocalStack's
     * Lambda) finds no window, the Choice sends it to RecordFailure, the Record function writes the failure into the
     * table, and the execution fails with the cause.
     */
    @Test
    void aRestoreWithNothingArchivedRunsThePlanAndRecordFunctionsAndFailsThroughTheChoice() throws Exception {
        ObjectMapper json = new ObjectMapper();
        var request = json.createObjectNode().put("id", "localstack-unreachable");
        request.set("target", json.createObjectNode().put("kind", "latest"));
        request.put("timeline", "latest")
                .put("inclusive", true)
                .put("targetDir", "/var/lib/pitr/restore/data")
                .put("port", 5433)
                .put("action", "promote")
                .put("force", false);
        var input = json.createObjectNode();
        input.set("request", request);
        try (var sfn = AwsClients.sfn(settings());
                var ddb = AwsClients.dynamoDb(settings())) {
            String arn = sfn.startExecution(r -> r.stateMachineArn(outputs.get("PITR_STEPFUNCTIONS_STATE_MACHINE_ARN"))
                            .name("localstack-unreachable")
                            .input(input.toString()))
                    .executionArn();
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            var execution = sfn.describeExecution(r -> r.executionArn(arn));
            while (execution.statusAsString().equals("RUNNING")) {
                assertTrue(System.nanoTime() < deadline, "the execution is still running");
                Thread.sleep(2000);
                execution = sfn.describeExecution(r -> r.executionArn(arn));
            }
            assertEquals("FAILED", execution.statusAsString(), execution.toString());
            assertEquals(
                    "dev.pitr.restore.workflow.TargetUnreachableException", execution.error(), execution.toString());
            try (var catalog = new DynamoDbCatalog(ddb, outputs.get("PITR_CATALOG_TABLE"), CLUSTER)) {
                assertEquals(
                        "failed",
                        catalog.restores().stream()
                                .filter(r -> r.id().equals("localstack-unreachable"))
                                .findFirst()
                                .orElseThrow()
                                .outcome());
            }
        }
    }

    private static Set<String> names(JsonNode states) {
        Set<String> out = new TreeSet<>();
        states.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
