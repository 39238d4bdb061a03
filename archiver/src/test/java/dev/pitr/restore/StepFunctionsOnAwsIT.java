package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.restore.workflow.RestoreJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code pitr agent} and {@code pitr restore --remote} with the SDK's real Step Functions client, against a stand-in
 * for the service ({@link StepFunctionsServer}), over an archive in S3 and DynamoDB: the agent refuses a target outside
 * its root with nothing touched and runs the steps it may, beating while it lays a snapshot down; the remote restore
 * prints every event of a history that takes several pages once, and stops an execution no agent takes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@NeedsAws
class StepFunctionsOnAwsIT {

    ArchiveFixture fx;
    StepFunctionsServer sfn;
    SnapshotRecord snapshot;

    @BeforeAll
    void archive() throws Exception {
        fx = new ArchiveFixture("sfn-agent", ArchiveFixture.Backend.AWS);
        fx.primary.execute("ALTER SYSTEM SET wal_log_hints = on");
        fx.primary.stop();
        fx.primary.start();
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 8) AS pad"
                + " FROM generate_series(1, 200000) g");
        fx.ok("snapshot", "create", "--label", "sfn");
        // the agent restores the chain of an incremental on that full
        fx.primary.execute("UPDATE filler SET pad = 'changed' WHERE g <= 1000");
        fx.ok("snapshot", "create", "--incremental", "--label", "sfn-incremental");
        fx.switchAndAwaitArchived();
        try (Repository repo = fx.repository()) {
            snapshot = repo.catalog().snapshots().stream()
                    .filter(s -> s.lineage().incremental())
                    .findFirst()
                    .orElseThrow();
        }
        sfn = new StepFunctionsServer();
        Files.writeString(
                fx.configFile,
                "stepfunctions:\n  endpoint: " + sfn.endpoint() + "\n  region: " + StepFunctionsServer.REGION
                        + "\n  activity_arn: " + StepFunctionsServer.ACTIVITY_ARN + "\n  state_machine_arn: "
                        + StepFunctionsServer.STATE_MACHINE_ARN + "\n",
                java.nio.file.StandardOpenOption.APPEND);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (sfn != null) {
            sfn.close();
        }
        if (fx != null) {
            fx.close();
        }
    }

    private static ObjectNode step(String step, Path dir, boolean force, String snapshotId) {
        ObjectNode input = RestoreJob.JSON.createObjectNode().put("step", step);
        input.set(
                "request",
                RestoreJob.requestJson(
                        "sfn-agent",
                        new RestoreRequest(
                                new RestoreTarget.Latest(),
                                new TargetTimeline.Latest(),
                                true,
                                dir,
                                5999,
                                RestoreRequest.Action.PROMOTE,
                                null,
                                force)));
        ObjectNode plan = input.putObject("plan");
        if (snapshotId != null) {
            plan.put("snapshot", snapshotId);
        }
        return input;
    }

    @Test
    void theAgentRunsTheStepsItMayAndRefusesATargetOutsideItsRoot() throws Exception {
        Path precious = Files.createTempDirectory("pitr-precious-");
        Files.writeString(precious.resolve("keep.txt"), "mine");
        Path dir = fx.newTargetDir();
        String refused = sfn.queue(step("prepare-target", precious, true, null));
        String prepared = sfn.queue(step("prepare-target", dir, false, null));
        String fetched =
                sfn.queue(step("fetch-snapshot", dir, false, snapshot.id().value()));

        Cli.Run r = fx.cli("agent", "--tasks", "3", "--heartbeat-seconds", "0.1");

        assertEquals(0, r.exitCode(), r.toString());
        List<JsonNode> failures = sfn.made("SendTaskFailure");
        assertEquals(1, failures.size(), sfn.requests.toString());
        assertEquals(refused, failures.get(0).path("taskToken").asText());
        assertTrue(failures.get(0).path("cause").asText().startsWith("target-dir-refused: "), failures.toString());
        assertEquals("mine", Files.readString(precious.resolve("keep.txt")), "nothing touched");
        List<String> succeeded = sfn.made("SendTaskSuccess").stream()
                .map(n -> n.path("taskToken").asText())
                .toList();
        assertEquals(List.of(prepared, fetched), succeeded, sfn.requests.toString());
        assertTrue(Files.exists(dir.resolve("PG_VERSION")), "the snapshot's chain is laid down");
        assertTrue(
                sfn.made("SendTaskHeartbeat").stream()
                        .anyMatch(n -> n.path("taskToken").asText().equals(fetched)),
                "heartbeats while the snapshot is laid down: " + sfn.requests);
    }

    @Test
    void aRemoteRestorePrintsEachEventOfAPagedHistoryOnceAndStopsAnExecutionNoAgentTakes() {
        sfn.script.add(StepFunctionsServer.event("ExecutionStarted"));
        for (int i = 0; i < 230; i++) {
            sfn.script.add(StepFunctionsServer.entered("Step" + i));
        }
        sfn.script.add(StepFunctionsServer.entered("PrepareTarget"));
        sfn.script.add(StepFunctionsServer.event("ActivityScheduled"));

        Cli.Run r = fx.cli(
                "restore",
                "--remote",
                "--latest",
                "--target-dir",
                fx.newTargetDir().toString(),
                "--pickup-seconds",
                "2",
                "--stop-unpicked");

        assertEquals(14, r.exitCode(), r.toString());
        assertTrue(r.err().contains("no agent has taken the restore host's step in 2 s"), r.toString());
        for (String line : List.of("entered Step0\n", "entered Step99\n", "entered Step100\n", "entered Step229\n")) {
            assertEquals(1, r.out().split(line, -1).length - 1, line.strip() + " printed once:\n" + r.out());
        }
        assertTrue(sfn.made("GetExecutionHistory").stream().anyMatch(n -> n.hasNonNull("nextToken")));
        List<JsonNode> stops = sfn.made("StopExecution");
        assertEquals(1, stops.size(), sfn.requests.toString());
        assertEquals("pitr.NoAgent", stops.get(0).path("error").asText());
    }
}
