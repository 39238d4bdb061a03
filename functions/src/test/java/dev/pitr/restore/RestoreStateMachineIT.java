package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.ArchiveFixture;
import dev.pitr.aws.FaultProxy;
import dev.pitr.aws.NeedsAws;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.restore.workflow.RestoreJob;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The restore state machine's ASL file executed end to end by aws-local-stepfunctions (node), its Lambda Tasks bound to
 * the handlers in the Lambda jar and its activity Tasks to {@code pitr agent --stdio}, against a real PostgreSQL
 * archived into S3 and DynamoDB ({@link dev.pitr.aws.TestAws}). The restored rows must be exactly right, and each
 * failure path must end in Record-failure with its cause in the execution's output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@NeedsAws
class RestoreStateMachineIT {

    ArchiveFixture fx;
    Instant betweenBatches;
    String clusterId;

    @BeforeAll
    void archiveAPrimary() throws Exception {
        fx = new ArchiveFixture("statemachine", ArchiveFixture.Backend.AWS);
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 50, "early");
        fx.ok("snapshot", "create", "--label", "sfn");
        ArchiveFixture.insertMarkers(fx.primary, 51, 100, "kept");
        Thread.sleep(300);
        betweenBatches = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(fx.primary, 101, 150, "late");
        fx.switchAndAwaitArchived();
        clusterId = fx.primary.queryOne("SELECT system_identifier FROM pg_control_system()");
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    /** What the runner printed: the outcome line and the states entered (and retried). */
    record Execution(JsonNode result, List<String> log, Path targetDir, int port) {
        String status() {
            return result.path("status").asText();
        }

        boolean entered(String state) {
            return log.contains("entered " + state);
        }
    }

    private Execution execute(String id, ObjectNode target, Map<String, String> env, Consumer<String> onLog)
            throws Exception {
        return execute(id, target, env, onLog, Path.of(System.getProperty("pitr.asl")));
    }

    private Execution execute(
            String id, ObjectNode target, Map<String, String> env, Consumer<String> onLog, Path definition)
            throws Exception {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        ObjectNode request = RestoreJob.JSON.createObjectNode();
        request.put("id", id).set("target", target);
        request.put("timeline", "latest")
                .put("inclusive", true)
                .put("targetDir", dir.toString())
                .put("port", port)
                .put("action", "promote")
                .put("force", false);
        return run(id, request, env, onLog, definition, dir, port);
    }

    /** Runs the state machine on {@code request} (the execution's input is {@code {"request": ...}}). */
    private Execution run(
            String id,
            ObjectNode request,
            Map<String, String> env,
            Consumer<String> onLog,
            Path definition,
            Path dir,
            int port)
            throws Exception {
        ObjectNode input = RestoreJob.JSON.createObjectNode();
        input.set("request", request);
        Path inputFile = fx.base.resolve(id + ".json");
        Files.writeString(inputFile, input.toString());

        Path nodeDir = Path.of(System.getProperty("pitr.node.dir"));
        ProcessBuilder pb = new ProcessBuilder(
                "node", nodeDir.resolve("run-restore.mjs").toString(), definition.toString(), inputFile.toString());
        Map<String, String> e = pb.environment();
        e.put(
                "PITR_LAMBDA_CMD",
                RestoreJob.JSON.writeValueAsString(List.of(
                        "java", "-cp", System.getProperty("pitr.lambda.jar"), "dev.pitr.functions.LambdaStdio")));
        e.put(
                "PITR_AGENT_CMD",
                RestoreJob.JSON.writeValueAsString(List.of(
                        "java",
                        "-jar",
                        fx.base.resolve("pitr.jar").toString(),
                        "--config",
                        fx.configFile.toString(),
                        "agent",
                        "--stdio",
                        "--heartbeat-seconds",
                        "1")));
        functionEnvironment(e);
        e.putAll(env);
        Process p = pb.start();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Thread err = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    log.add(line);
                    onLog.accept(line);
                }
            } catch (java.io.IOException ignored) {
                // the runner is gone
            }
        });
        err.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the runner did not finish");
        err.join(5000);
        String last = out.lines().reduce((a, b) -> b).orElse("{}");
        return new Execution(RestoreJob.JSON.readTree(last), List.copyOf(log), dir, port);
    }

    /** What the functions read from their environment, pointed at this archive's table. */
    private void functionEnvironment(Map<String, String> e) {
        e.put("PITR_CATALOG_TABLE", fx.aws().table());
        e.put("PITR_CLUSTER_ID", clusterId);
        e.put("PITR_DYNAMODB_ENDPOINT", fx.aws().dynamoDbEndpoint().toString());
        e.put("AWS_REGION", fx.aws().region());
        e.put("AWS_ACCESS_KEY_ID", fx.aws().accessKey());
        e.put("AWS_SECRET_ACCESS_KEY", fx.aws().secretKey());
    }

    private static ObjectNode target(String kind, String field, String value) {
        ObjectNode t = RestoreJob.JSON.createObjectNode().put("kind", kind);
        if (field != null) {
            t.put(field, value);
        }
        return t;
    }

    private RestoreRecord recorded(String id) {
        try (Repository repo = fx.repository()) {
            return repo.catalog().restores().stream()
                    .filter(r -> r.id().equals(id))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /** With no agent to take it, a restore fails once the pickup time has passed, and ends recorded. */
    @Test
    @Order(0)
    void aRestoreNoAgentTakesEndsFailedAndRecordedAfterThePickupTime() throws Exception {
        Path definition = fx.base.resolve("restore-pickup-3s.asl.json");
        Files.writeString(definition, dev.pitr.restore.workflow.RestoreDefinition.text(3));
        long started = System.nanoTime();
        Execution x = execute(
                "sfn-no-agent",
                target("latest", null, null),
                Map.of("PITR_AGENT_CMD", "[]", "PITR_RETRY_INTERVAL_MS", "100"),
                l -> {},
                definition);
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertEquals("FAILED", x.status(), x.toString());
        assertTrue(x.entered("RecordFailure"), x.log().toString());
        assertTrue(seconds < 60, "failed after " + seconds + " s");
        RestoreRecord r = recorded("sfn-no-agent");
        assertEquals("failed", r.outcome());
        assertEquals("States.Timeout", r.error(), r.toString());
        assertTrue(r.cause().contains("no agent took the task in 3 s"), r.cause());
        if (Files.exists(x.targetDir())) {
            try (var left = Files.list(x.targetDir())) {
                assertFalse(left.findAny().isPresent(), "nothing laid down");
            }
        }
    }

    /**
     * An execution stopped by hand ends with no Catch to record it: the status change the stack's rule sends to the
     * Record function (through the Lambda jar, on DynamoDB) records the restore failed, over the agent's progress.
     */
    @Test
    @Order(0)
    void anExecutionThatEndedUnrecordedIsRecordedFromItsStatusChange() throws Exception {
        try (Repository repo = fx.repository()) {
            repo.catalog()
                    .recordRestore(new RestoreRecord(
                            "sfn-aborted", Instant.now(), "replaying", "{}", null, 1L, "0/3000000", null, null));
        }
        ObjectNode event = RestoreJob.JSON
                .createObjectNode()
                .put("source", "aws.states")
                .put("detail-type", dev.pitr.restore.workflow.RecordStep.EXECUTION_STATUS_CHANGE);
        event.putObject("detail")
                .put("status", "ABORTED")
                .put("name", "sfn-aborted")
                .put("executionArn", "arn:aws:states:us-east-1:000000000000:execution:pitr-restore:sfn-aborted")
                .put("input", "{\"request\": {\"id\": \"sfn-aborted\", \"target\": {\"kind\": \"latest\"}}}");
        ProcessBuilder pb = new ProcessBuilder(
                "java", "-cp", System.getProperty("pitr.lambda.jar"), "dev.pitr.functions.LambdaStdio");
        Map<String, String> e = pb.environment();
        functionEnvironment(e);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        ObjectNode call = RestoreJob.JSON.createObjectNode().put("id", 1).put("handler", "record");
        call.set("input", event);
        p.getOutputStream().write((call + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out.contains("\"outcome\":\"failed\""), out);
        RestoreRecord r = recorded("sfn-aborted");
        assertEquals("failed", r.outcome());
        assertEquals("States.ABORTED", r.error());
        assertEquals("0/3000000", r.stoppedAt(), "the agent's progress stays");
    }

    @Test
    @Order(1)
    void theAslRestoresExactlyTheRowsCommittedUpToTheTarget() throws Exception {
        Execution x = execute("sfn-time", target("time", "time", betweenBatches.toString()), Map.of(), l -> {});
        assertEquals("SUCCEEDED", x.status(), x.toString());
        for (String s : List.of(
                "Plan",
                "TargetReachable",
                "PrepareTarget",
                "FetchSnapshot",
                "WriteRecoveryConfig",
                "Replay",
                "Verify",
                "Record")) {
            assertTrue(x.entered(s), s + " in " + x.log());
        }
        assertEquals(
                "promoted",
                x.result().path("output").path("verify").path("state").asText(),
                x.toString());
        assertEquals(
                "100:1-100",
                fx.restoredServer(x.targetDir(), x.port())
                        .queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));
        RestoreRecord r = recorded("sfn-time");
        assertEquals("restored", r.outcome());
        assertEquals(1L, r.timeline());
    }

    @Test
    @Order(2)
    void aTargetOutsideTheWindowTakesTheChoiceBranchAndFailsWithTheWindow() throws Exception {
        Execution x = execute(
                "sfn-outside",
                target("time", "time", Instant.now().plusSeconds(3600).toString()),
                Map.of(),
                l -> {});
        assertEquals("FAILED", x.status(), x.toString());
        assertEquals(
                "dev.pitr.restore.workflow.TargetUnreachableException",
                x.result().path("error").asText(),
                x.toString());
        assertTrue(x.result().path("cause").asText().contains("restorable window on timeline 1"), x.toString());
        assertTrue(
                x.entered("TargetUnreachable") && x.entered("RecordFailure"),
                x.log().toString());
        assertFalse(x.entered("PrepareTarget"), x.log().toString());
        assertFalse(Files.exists(x.targetDir()));
        assertEquals("failed", recorded("sfn-outside").outcome());
    }

    @Test
    @Order(3)
    void anAgentThatTakesAStepAndHangsFailsThroughTheHeartbeatTimeout() throws Exception {
        // takes the first task, says so, and is never heard from again
        String hung = "read line; echo '{\"id\": 1, \"started\": true}'; sleep 600";
        Execution x = execute(
                "sfn-dead-agent",
                target("latest", null, null),
                Map.of(
                        "PITR_AGENT_CMD",
                        RestoreJob.JSON.writeValueAsString(List.of("sh", "-c", hung)),
                        "PITR_HEARTBEAT_SECONDS",
                        "2"),
                l -> {});
        assertEquals("FAILED", x.status(), x.toString());
        assertEquals("States.HeartbeatTimeout", x.result().path("error").asText(), x.toString());
        assertTrue(
                x.entered("PrepareTarget") && x.entered("RecordFailure"),
                x.log().toString());
        assertEquals("States.HeartbeatTimeout", recorded("sfn-dead-agent").error());
    }

    @Test
    @Order(4)
    void aTransientCatalogFailureIsRetried() throws Exception {
        try (FaultProxy proxy = new FaultProxy(fx.aws().dynamoDbEndpoint(), FaultProxy.Service.DYNAMODB, 1, 200)) {
            Execution x = execute(
                    "sfn-transient",
                    target("immediate", null, null),
                    Map.of("PITR_DYNAMODB_ENDPOINT", proxy.endpoint().toString(), "PITR_RETRY_INTERVAL_MS", "1500"),
                    line -> {
                        if (line.equals("retried Plan")) {
                            proxy.passThrough(true);
                        }
                    });
            assertTrue(proxy.faults() > 0, proxy.summary());
            assertTrue(x.log().contains("retried Plan"), x.log().toString());
            assertEquals("SUCCEEDED", x.status(), x.toString());
            assertEquals(
                    "50:1-50",
                    fx.restoredServer(x.targetDir(), x.port())
                            .queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));
        }
    }

    @Test
    @Order(10)
    void aMissingSegmentFailsTheReplay() throws Exception {
        fx.stopCapture();
        try (Repository repo = fx.repository()) {
            List<SegmentRecord> segs = repo.catalog().allSegments();
            // the newest segment holds the last batch: the target needs it, the catalog still lists it
            repo.storage().delete(segs.get(segs.size() - 1).storageKey());
        }
        Execution x = execute("sfn-missing", target("latest", null, null), new HashMap<>(), l -> {});
        assertEquals("FAILED", x.status(), x.toString());
        assertEquals(
                "dev.pitr.restore.workflow.RestoreException",
                x.result().path("error").asText(),
                x.toString());
        assertTrue(x.entered("Replay") && x.entered("RecordFailure"), x.log().toString());
        assertTrue(x.result().path("cause").asText().startsWith("restore-failed"), x.toString());
    }

    /** What the stack's schedule starts: a drill to a time the Plan state picks, with one operator check. */
    private Execution drill(String id, ObjectNode target) throws Exception {
        ObjectNode request = RestoreJob.JSON.createObjectNode().put("id", id).put("drill", true);
        request.set("target", target);
        Map<String, String> env = new HashMap<>();
        env.put("PITR_AGENT_DRILLS", "true");
        env.put("PITR_DRILL_DIRECTORY", fx.base.resolve("drills").toString());
        env.put(
                "PITR_DRILL_CHECKS",
                "[{\"name\": \"early rows\", \"sql\": \"SELECT count(*) >= 50 FROM marker\", \"expect\": \"t\"}]");
        return run(id, request, env, l -> {}, Path.of(System.getProperty("pitr.asl")), null, 0);
    }

    @Test
    @Order(5)
    void aScheduledDrillRestoresToAPickedTimeChecksTheCopyRecordsItAndRemovesIt() throws Exception {
        Execution x = drill("drill-sfn", target("random", null, null));
        assertEquals("SUCCEEDED", x.status(), x.toString());
        JsonNode out = x.result().path("output");
        Instant picked =
                Instant.parse(out.path("plan").path("picked").path("time").asText());
        assertTrue(picked.isBefore(Instant.now()), out.toString());
        JsonNode checks = out.path("verify").path("checks");
        List<String> names = new ArrayList<>();
        checks.forEach(c -> {
            assertTrue(c.path("passed").asBoolean(), c.toString());
            names.add(c.path("name").asText());
        });
        assertTrue(names.contains("amcheck postgres") && names.contains("early rows"), names.toString());
        try (Repository repo = fx.repository()) {
            var d = repo.catalog().drill("drill-sfn").orElseThrow();
            assertTrue(d.passed(), d.toString());
            assertEquals(out.path("plan").path("snapshot").asText(), d.snapshotId());
            assertTrue(
                    d.timing() != null && d.timing().totalMillis() >= d.timing().replayMillis(), d.toString());
            assertTrue(d.timing().layDownBytes() > 0 && d.timing().replayMillis() > 0, d.toString());
            // the agent's own measure: from PrepareTarget to the server verified, without the checks after
            assertTrue(
                    d.timing().totalMillis()
                                    >= d.timing().layDownMillis() + d.timing().replayMillis()
                            && d.timing().totalMillis()
                                    <= java.time.Duration.between(d.startedAt(), d.finishedAt())
                                            .toMillis(),
                    d.toString());
            // a drill is no restore of the archive
            assertTrue(repo.catalog().restore("drill-sfn").isEmpty());
        }
        // the copy and its socket are gone, its server with them
        assertFalse(Files.exists(fx.base.resolve("drills").resolve("pitr-drill-sfn")));
        assertFalse(Files.exists(Path.of("/tmp/pitr-sock-drill-sfn")));
    }

    @Test
    @Order(11)
    void aDrillAfterASegmentWentMissingFailsIsRecordedFailedAndRemovesItsCopy() throws Exception {
        // after aMissingSegmentFailsTheReplay: the newest segment is gone from storage, the catalog lists it
        Execution x = drill("drill-sfn-missing", target("latest", null, null));
        assertEquals("FAILED", x.status(), x.toString());
        assertTrue(x.entered("Replay") && x.entered("RecordFailure"), x.log().toString());
        try (Repository repo = fx.repository()) {
            var d = repo.catalog().drill("drill-sfn-missing").orElseThrow();
            assertFalse(d.passed());
            assertEquals("RESTORE_FAILED", d.error(), d.toString());
            assertEquals(d, repo.catalog().latestDrill(false).orElseThrow());
        }
        assertFalse(Files.exists(fx.base.resolve("drills").resolve("pitr-drill-sfn-missing")));
        assertFalse(Files.exists(Path.of("/tmp/pitr-sock-drill-sfn-missing")));
    }
}
