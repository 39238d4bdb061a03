package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionFailedEventDetails;
import software.amazon.awssdk.services.sfn.model.ExecutionSucceededEventDetails;
import software.amazon.awssdk.services.sfn.model.GetExecutionHistoryRequest;
import software.amazon.awssdk.services.sfn.model.GetExecutionHistoryResponse;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.HistoryEventType;
import software.amazon.awssdk.services.sfn.model.StartExecutionRequest;
import software.amazon.awssdk.services.sfn.model.StartExecutionResponse;
import software.amazon.awssdk.services.sfn.model.StateEnteredEventDetails;
import software.amazon.awssdk.services.sfn.model.StopExecutionRequest;
import software.amazon.awssdk.services.sfn.model.StopExecutionResponse;

/** Following a remote restore, against a stand-in for Step Functions that replays a scripted history. */
class RemoteRestoreTest {

    @TempDir
    Path dir;

    static final class StandIn implements SfnClient {
        final Deque<List<HistoryEvent>> pages = new ArrayDeque<>();
        StartExecutionRequest started;
        Runnable onPoll = () -> {};

        @Override
        public StartExecutionResponse startExecution(StartExecutionRequest r) {
            started = r;
            return StartExecutionResponse.builder()
                    .executionArn("arn:aws:states:eu-west-1:1:execution:restore:" + r.name())
                    .build();
        }

        StopExecutionRequest stopped;

        @Override
        public StopExecutionResponse stopExecution(StopExecutionRequest r) {
            stopped = r;
            return StopExecutionResponse.builder().build();
        }

        @Override
        public GetExecutionHistoryResponse getExecutionHistory(GetExecutionHistoryRequest r) {
            onPoll.run();
            List<HistoryEvent> page = pages.isEmpty() ? List.of() : pages.poll();
            return GetExecutionHistoryResponse.builder().events(page).build();
        }

        @Override
        public String serviceName() {
            return "states";
        }

        @Override
        public void close() {}
    }

    /**
     * Step Functions as it pages a history that grows: events from where {@code nextToken} points, at most {@code
     * maxResults}, a token only when more are there now; each poll adds the next scripted events first.
     */
    static final class PagingStandIn implements SfnClient {
        final List<HistoryEvent> history = new java.util.ArrayList<>();
        final Deque<List<HistoryEvent>> arriving = new ArrayDeque<>();

        @Override
        public StartExecutionResponse startExecution(StartExecutionRequest r) {
            return StartExecutionResponse.builder()
                    .executionArn("arn:aws:states:eu-west-1:1:execution:restore:" + r.name())
                    .build();
        }

        @Override
        public GetExecutionHistoryResponse getExecutionHistory(GetExecutionHistoryRequest r) {
            if (!arriving.isEmpty()) {
                for (HistoryEvent e : arriving.poll()) {
                    history.add(e.toBuilder().id((long) history.size() + 1).build());
                }
            }
            int from = r.nextToken() == null ? 0 : Integer.parseInt(r.nextToken());
            int to = Math.min(history.size(), from + r.maxResults());
            return GetExecutionHistoryResponse.builder()
                    .events(history.subList(from, to))
                    .nextToken(to < history.size() ? Integer.toString(to) : null)
                    .build();
        }

        @Override
        public String serviceName() {
            return "states";
        }

        @Override
        public void close() {}
    }

    @Test
    void eachEventOfAHistoryPagedAsStepFunctionsPagesItIsPrintedOnce() {
        PagingStandIn sfn = new PagingStandIn();
        List<HistoryEvent> many = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            many.add(entered("Step" + i));
        }
        sfn.arriving.add(many);
        sfn.arriving.add(List.of());
        sfn.arriving.add(List.of(entered("Verify")));
        sfn.arriving.add(List.of());
        sfn.arriving.add(List.of(
                entered("Record"),
                HistoryEvent.builder()
                        .type(HistoryEventType.EXECUTION_SUCCEEDED)
                        .executionSucceededEventDetails(ExecutionSucceededEventDetails.builder()
                                .output("{}")
                                .build())
                        .build()));
        StringWriter out = new StringWriter();
        try (Catalog catalog = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            new RemoteRestore(sfn, "arn", catalog, new PrintWriter(out), Duration.ofMillis(1)).run("r3", request());
        }
        String text = out.toString();
        for (String line : List.of("entered Step0\n", "entered Step149\n", "entered Verify\n", "entered Record\n")) {
            assertEquals(
                    text.indexOf(line), text.lastIndexOf(line), line.strip() + " printed more than once:\n" + text);
            assertTrue(text.contains(line), line + " in\n" + text);
        }
    }

    static HistoryEvent entered(String state) {
        return HistoryEvent.builder()
                .type(HistoryEventType.TASK_STATE_ENTERED)
                .stateEnteredEventDetails(
                        StateEnteredEventDetails.builder().name(state).build())
                .build();
    }

    RestoreRequest request() {
        return RestoreRequest.of(
                new RestoreTarget.Latest(), dir.resolve("target"), 5499, RestoreRequest.Action.PROMOTE);
    }

    @Test
    void followsTheStatesTheReplayProgressAndTheOutcome() {
        StandIn sfn = new StandIn();
        sfn.pages.add(List.of(entered("Plan"), entered("PrepareTarget"), entered("Replay")));
        sfn.pages.add(List.of());
        sfn.pages.add(List.of(
                entered("Verify"),
                entered("Record"),
                HistoryEvent.builder()
                        .type(HistoryEventType.EXECUTION_SUCCEEDED)
                        .executionSucceededEventDetails(ExecutionSucceededEventDetails.builder()
                                .output("{\"ok\":true}")
                                .build())
                        .build()));
        StringWriter out = new StringWriter();
        try (Catalog catalog = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            catalog.recordRestore(
                    new RestoreRecord("r1", Instant.now(), "replaying", "latest", "s", 1L, "0/5000060", null, null));
            String result = new RemoteRestore(
                            sfn,
                            "arn:aws:states:eu-west-1:1:stateMachine:restore",
                            catalog,
                            new PrintWriter(out),
                            Duration.ofMillis(10))
                    .run("r1", request());
            assertEquals("{\"ok\":true}", result);
        }
        assertEquals("r1", sfn.started.name());
        assertTrue(sfn.started.input().contains("\"targetDir\""), sfn.started.input());
        String text = out.toString();
        for (String line : List.of(
                "entered Plan",
                "entered Replay",
                "  replayed up to 0/5000060",
                "entered Record",
                "restore succeeded")) {
            assertTrue(text.contains(line + "\n"), line + " in\n" + text);
        }
        assertTrue(
                text.indexOf("entered Replay") < text.indexOf("replayed up to")
                        && text.indexOf("replayed up to") < text.indexOf("entered Verify"),
                text);
    }

    @Test
    void anUnreachableTargetExitsWithTheWindowInTheMessage() {
        StandIn sfn = new StandIn();
        sfn.pages.add(List.of(
                entered("Plan"),
                HistoryEvent.builder()
                        .type(HistoryEventType.EXECUTION_FAILED)
                        .executionFailedEventDetails(ExecutionFailedEventDetails.builder()
                                .error("dev.pitr.restore.workflow.TargetUnreachableException")
                                .cause(
                                        "time ... is later than the last transaction archived; restorable window on timeline 1: ...")
                                .build())
                        .build()));
        try (Catalog catalog = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            PitrException e = assertThrows(
                    PitrException.class,
                    () -> new RemoteRestore(
                                    sfn, "arn", catalog, new PrintWriter(new StringWriter()), Duration.ofMillis(10))
                            .run("r2", request()));
            assertEquals(ErrorCode.TARGET_OUTSIDE_WINDOW, e.code());
            assertTrue(e.getMessage().contains("restorable window on timeline 1"), e.getMessage());
        }
    }

    /** No agent takes the step: said once, and with --stop-unpicked the execution is stopped and the command fails. */
    @Test
    void aStepNoAgentTakesIsSaidAndCanStopTheExecution() {
        StandIn sfn = new StandIn();
        sfn.pages.add(List.of(
                entered("PrepareTarget"),
                HistoryEvent.builder()
                        .id(2L)
                        .type(HistoryEventType.ACTIVITY_SCHEDULED)
                        .build()));
        StringWriter out = new StringWriter();
        try (Catalog catalog = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            PitrException e = assertThrows(
                    PitrException.class,
                    () -> new RemoteRestore(
                                    sfn,
                                    "arn",
                                    catalog,
                                    new PrintWriter(out),
                                    Duration.ofMillis(10),
                                    Duration.ofMillis(200),
                                    true)
                            .run("r4", request()));
            assertEquals(ErrorCode.RESTORE_FAILED, e.code());
            assertTrue(e.getMessage().startsWith("no agent has taken the restore host's step"), e.getMessage());
            assertEquals("arn:aws:states:eu-west-1:1:execution:restore:r4", sfn.stopped.executionArn());
            assertEquals("pitr.NoAgent", sfn.stopped.error());
        }

        StandIn patient = new StandIn();
        patient.pages.add(List.of(
                entered("PrepareTarget"),
                HistoryEvent.builder()
                        .id(2L)
                        .type(HistoryEventType.ACTIVITY_SCHEDULED)
                        .build()));
        int[] polls = {0};
        patient.onPoll = () -> {
            if (++polls[0] == 40) {
                patient.pages.add(List.of(
                        HistoryEvent.builder()
                                .id(3L)
                                .type(HistoryEventType.ACTIVITY_STARTED)
                                .build(),
                        HistoryEvent.builder()
                                .id(4L)
                                .type(HistoryEventType.EXECUTION_SUCCEEDED)
                                .executionSucceededEventDetails(ExecutionSucceededEventDetails.builder()
                                        .output("{}")
                                        .build())
                                .build()));
            }
        };
        StringWriter said = new StringWriter();
        try (Catalog catalog = SqliteCatalog.open(dir.resolve("catalog.db"))) {
            new RemoteRestore(
                            patient,
                            "arn",
                            catalog,
                            new PrintWriter(said),
                            Duration.ofMillis(10),
                            Duration.ofMillis(100),
                            false)
                    .run("r5", request());
        }
        String text = said.toString();
        assertEquals(text.indexOf("no agent has taken"), text.lastIndexOf("no agent has taken"), text);
        assertTrue(text.contains("no agent has taken"), text);
        assertEquals(null, patient.stopped);
    }
}
