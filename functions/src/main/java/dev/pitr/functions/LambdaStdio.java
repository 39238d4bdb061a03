package dev.pitr.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.restore.workflow.RestoreJob;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs the Lambda handlers of this jar the way the Lambda runtime would, over stdin and stdout, for a state machine
 * runner on the same host (CI runs the ASL this way): {@code {"id": 3, "handler": "plan", "input": {...}}} in,
 * {@code {"id": 3, "output": {...}}} or {@code {"id": 3, "error": "<exception class>", "cause": "..."}} out, the
 * error named as the Java runtime names it. The handlers read their environment as in Lambda.
 */
public final class LambdaStdio {

    private LambdaStdio() {}

    public static void main(String[] args) throws IOException {
        PlanHandler plan = new PlanHandler();
        RecordHandler record = new RecordHandler();
        RetentionHandler retention = new RetentionHandler();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode msg = RestoreJob.JSON.readTree(line);
            ObjectNode reply =
                    RestoreJob.JSON.createObjectNode().put("id", msg.path("id").asLong());
            try {
                Map<String, Object> input = RestoreJob.JSON.convertValue(msg.get("input"), PlanHandler.MAP);
                Map<String, Object> result = switch (msg.path("handler").asText()) {
                    case "plan" -> plan.handleRequest(input, null);
                    case "record" -> record.handleRequest(input, null);
                    case "retention" -> retention.handleRequest(input, null);
                    default ->
                        throw new IllegalArgumentException(
                                "no handler " + msg.path("handler").asText());
                };
                reply.set("output", RestoreJob.JSON.valueToTree(result));
            } catch (RuntimeException e) {
                reply.put("error", e.getClass().getName());
                reply.put("cause", e.getMessage());
            }
            out.println(reply);
        }
    }
}
