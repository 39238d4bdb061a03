package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.restore.workflow.RestoreJob;
import dev.pitr.restore.workflow.TransientException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskRequest;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskResponse;
import software.amazon.awssdk.services.sfn.model.SendTaskFailureRequest;
import software.amazon.awssdk.services.sfn.model.SendTaskFailureResponse;
import software.amazon.awssdk.services.sfn.model.SendTaskHeartbeatRequest;
import software.amazon.awssdk.services.sfn.model.SendTaskHeartbeatResponse;
import software.amazon.awssdk.services.sfn.model.SendTaskSuccessRequest;
import software.amazon.awssdk.services.sfn.model.SendTaskSuccessResponse;

/** The agent's protocol with Step Functions, against a stand-in for the service (the SDK's own client interface). */
class ActivityWorkerTest {

    /** Hands out queued tasks and records what the worker reports. */
    static final class StandIn implements SfnClient {
        final Deque<GetActivityTaskResponse> tasks = new ArrayDeque<>();
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final List<String> polledArns = new ArrayList<>();

        @Override
        public GetActivityTaskResponse getActivityTask(GetActivityTaskRequest r) {
            polledArns.add(r.activityArn());
            GetActivityTaskResponse t = tasks.poll();
            return t == null ? GetActivityTaskResponse.builder().build() : t;
        }

        @Override
        public SendTaskSuccessResponse sendTaskSuccess(SendTaskSuccessRequest r) {
            calls.add("success " + r.taskToken() + " " + r.output());
            return SendTaskSuccessResponse.builder().build();
        }

        @Override
        public SendTaskFailureResponse sendTaskFailure(SendTaskFailureRequest r) {
            calls.add("failure " + r.taskToken() + " " + r.error() + " " + r.cause());
            return SendTaskFailureResponse.builder().build();
        }

        @Override
        public SendTaskHeartbeatResponse sendTaskHeartbeat(SendTaskHeartbeatRequest r) {
            calls.add("heartbeat " + r.taskToken());
            return SendTaskHeartbeatResponse.builder().build();
        }

        @Override
        public String serviceName() {
            return "states";
        }

        @Override
        public void close() {}
    }

    static GetActivityTaskResponse task(String token, String step) {
        return GetActivityTaskResponse.builder()
                .taskToken(token)
                .input("{\"step\":\"" + step + "\"}")
                .build();
    }

    @Test
    void runsEachTaskHeartbeatingAndReportsSuccessOrATypedFailure() {
        StandIn sfn = new StandIn();
        sfn.tasks.add(GetActivityTaskResponse.builder().build()); // a long poll that ended empty
        sfn.tasks.add(task("t1", "replay"));
        sfn.tasks.add(task("t2", "fetch-snapshot"));
        ActivityWorker.Steps steps = (input, heartbeat) -> {
            if (input.path("step").asText().equals("fetch-snapshot")) {
                throw new TransientException("storage-unavailable: connection reset", null);
            }
            try {
                Thread.sleep(400);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ObjectNode out = RestoreJob.JSON.createObjectNode();
            out.put("stoppedAt", "0/5000060");
            return out;
        };
        StringWriter log = new StringWriter();
        int done = new ActivityWorker(
                        sfn,
                        "arn:aws:states:eu-west-1:111122223333:activity:pitr-agent",
                        "host-1",
                        steps,
                        Duration.ofMillis(100),
                        Duration.ofSeconds(60),
                        new PrintWriter(log))
                .run(2);
        assertEquals(2, done);
        assertEquals("arn:aws:states:eu-west-1:111122223333:activity:pitr-agent", sfn.polledArns.get(0));
        List<String> calls = List.copyOf(sfn.calls);
        assertTrue(calls.stream().filter(c -> c.equals("heartbeat t1")).count() >= 2, calls.toString());
        assertTrue(calls.contains("success t1 {\"stoppedAt\":\"0/5000060\"}"), calls.toString());
        assertTrue(
                calls.contains(
                        "failure t2 dev.pitr.restore.workflow.TransientException storage-unavailable: connection reset"),
                calls.toString());
        // no heartbeat for a task once it is reported
        int success = calls.indexOf("success t1 {\"stoppedAt\":\"0/5000060\"}");
        assertTrue(
                calls.subList(success, calls.size()).stream().noneMatch(c -> c.equals("heartbeat t1")),
                calls.toString());
    }

    /** A step that stops making progress stops beating, so the state machine times it out on its heartbeat. */
    @Test
    void heartbeatsFollowProgressAndStopWhenTheStepStalls() {
        StandIn sfn = new StandIn();
        sfn.tasks.add(task("t1", "fetch-snapshot"));
        ActivityWorker.Steps steps = (input, progress) -> {
            for (int i = 0; i < 6; i++) {
                progress.run();
                pause(100);
            }
            pause(1500); // stalled: no progress
            return RestoreJob.JSON.createObjectNode();
        };
        StringWriter log = new StringWriter();
        new ActivityWorker(
                        sfn,
                        "arn",
                        "host-1",
                        steps,
                        Duration.ofMillis(100),
                        Duration.ofMillis(400),
                        new PrintWriter(log))
                .run(1);
        List<String> calls = List.copyOf(sfn.calls);
        long beats = calls.stream().filter(c -> c.equals("heartbeat t1")).count();
        // about 0.6 s of progress and 0.4 s of grace at one beat per 0.1 s; none in the last second of the stall
        assertTrue(beats >= 3 && beats <= 13, beats + " heartbeats: " + calls);
        assertTrue(log.toString().contains("no more heartbeats"), log.toString());
    }

    /** Stopped while it runs a step (SIGTERM), the agent fails that task at once and stops what the step started. */
    @Test
    void stoppedMidStepItFailsTheTaskItHoldsAndAbortsTheStep() throws Exception {
        StandIn sfn = new StandIn();
        sfn.tasks.add(task("t1", "replay"));
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean aborted = new java.util.concurrent.atomic.AtomicBoolean();
        ActivityWorker.Steps steps = new ActivityWorker.Steps() {
            @Override
            public ObjectNode run(com.fasterxml.jackson.databind.JsonNode input, Runnable progress) {
                running.countDown();
                while (!aborted.get()) {
                    pause(20);
                }
                throw new IllegalStateException("the server was stopped");
            }

            @Override
            public void abort() {
                aborted.set(true);
            }
        };
        ActivityWorker worker = new ActivityWorker(
                sfn,
                "arn",
                "host-1",
                steps,
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                new PrintWriter(new StringWriter()));
        Thread agent = new Thread(() -> worker.run(0));
        agent.start();
        assertTrue(running.await(10, java.util.concurrent.TimeUnit.SECONDS));
        worker.stopNow("the agent on host-1 was stopped (SIGTERM)");
        agent.join(10_000);
        assertTrue(aborted.get());
        assertEquals(
                List.of("failure t1 " + ActivityWorker.AGENT_STOPPED
                        + " the agent on host-1 was stopped (SIGTERM) during step replay"),
                List.copyOf(sfn.calls),
                "reported once, by the stop, and no more tasks taken");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
