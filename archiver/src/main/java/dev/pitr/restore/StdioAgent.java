package dev.pitr.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.restore.workflow.RestoreJob;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The agent's steps over stdin and stdout, one JSON object per line, for a state machine runner on the same host
 * (CI runs the ASL this way): {@code {"id": 7, "input": {...}}} in; {@code {"id": 7, "heartbeat": true}} every
 * {@code --heartbeat-seconds} while the step makes progress ({@link StepHeartbeat}), then {@code {"id": 7, "output": {...}}} or {@code {"id": 7, "error":
 * "<exception class>", "cause": "..."}} out, after {@code {"id": 7, "started": true}} as soon as the step is taken.
 * The runner plays the part of the Step Functions activity service,
 * including the heartbeat timeout.
 */
public final class StdioAgent {

    private final ActivitySteps steps;
    private final java.time.Duration heartbeat;
    private final java.time.Duration stall;

    /** Beats every {@code heartbeat} while a step makes progress, as {@link ActivityWorker} does. */
    public StdioAgent(ActivitySteps steps, java.time.Duration heartbeat, java.time.Duration stall) {
        this.steps = steps;
        this.heartbeat = heartbeat;
        this.stall = stall;
    }

    public void run(BufferedReader in, PrintWriter out) throws IOException {
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heartbeat");
            t.setDaemon(true);
            return t;
        });
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode msg = RestoreJob.JSON.readTree(line);
                long id = msg.path("id").asLong();
                // the task is taken: the runner's heartbeat timeout counts from here, its TimeoutSeconds from before
                write(out, RestoreJob.JSON.createObjectNode().put("id", id).put("started", true));
                ObjectNode beat =
                        RestoreJob.JSON.createObjectNode().put("id", id).put("heartbeat", true);
                ObjectNode reply = RestoreJob.JSON.createObjectNode().put("id", id);
                try (StepHeartbeat beating = new StepHeartbeat(
                        beats, heartbeat, stall, () -> write(out, beat), said -> System.err.println(said))) {
                    reply.set("output", steps.run(msg.get("input"), beating::progress));
                } catch (RuntimeException e) {
                    reply.put("error", e.getClass().getName());
                    reply.put("cause", e.getMessage());
                }
                write(out, reply);
            }
        } finally {
            beats.shutdownNow();
        }
    }

    private static synchronized void write(PrintWriter out, JsonNode msg) {
        out.println(msg.toString());
        out.flush();
    }
}
