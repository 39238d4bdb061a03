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
}
