package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The restore state machine's definition: {@code restore.asl.json} beside this class, the one copy the CDK stack,
 * the local runner and CI's execution all read. Its Task resources are placeholders ({@code ${PlanFunctionArn}},
 * {@code ${RecordFunctionArn}}, {@code ${AgentActivityArn}}) that the deployment substitutes.
 */
public final class RestoreDefinition {

    public static final String RESOURCE = "restore.asl.json";

    /** The placeholder for the plan function's ARN. */
    public static final String PLAN_FUNCTION = "PlanFunctionArn";

    /** The placeholder for the record function's ARN. */
    public static final String RECORD_FUNCTION = "RecordFunctionArn";

    /** The placeholder for the activity the restore agent polls. */
    public static final String AGENT_ACTIVITY = "AgentActivityArn";

    /**
     * The state whose Task an agent takes first: its TimeoutSeconds, counted from when the task is scheduled, is how
     * long a restore waits for an agent to take it and prepare the target before it fails and is recorded failed.
     */
    public static final String PICKUP_STATE = "PrepareTarget";

    /** The pickup time {@link #text()} has: 15 minutes. */
    public static final int DEFAULT_PICKUP_SECONDS = 900;

    /** Added to the steps' bound for the transitions between them. */
    static final int TRANSITIONS_SECONDS = 60;

    private RestoreDefinition() {}

    /**
     * The definition with {@code pickupSeconds} as {@link #PICKUP_STATE}'s timeout and the execution's timeout set to
     * {@link #stepsBound the steps' bound}, so that a step times out, and is caught and recorded, before the execution
     * does.
     */
    public static String text(int pickupSeconds) {
        if (pickupSeconds < 1) {
            throw new IllegalArgumentException("a pickup time of at least 1 s, not " + pickupSeconds);
        }
        if (pickupSeconds == DEFAULT_PICKUP_SECONDS) {
            return text(); // the file holds these timeouts (RestoreDefinitionTest), and stays as written
        }
        try {
            ObjectNode def = (ObjectNode) RestoreJob.JSON.readTree(text());
            ((ObjectNode) def.get("States").get(PICKUP_STATE)).put("TimeoutSeconds", pickupSeconds);
            def.put("TimeoutSeconds", stepsBound(def) + TRANSITIONS_SECONDS);
            return RestoreJob.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(def);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The longest the Task states can take together: each Task's TimeoutSeconds for its first attempt and for every
     * retry its Retry entries allow, plus the pauses between them, summed over every Task whether a path visits it or
     * not. An execution timeout above this never cuts a step short, so every failure goes through a Catch.
     */
    public static long stepsBound(JsonNode def) {
        long total = 0;
        for (JsonNode state : def.get("States")) {
            if (!state.path("Type").asText().equals("Task")) {
                continue;
            }
            if (!state.has("TimeoutSeconds")) {
                throw new IllegalStateException("a Task without TimeoutSeconds waits forever: " + state);
            }
            long timeout = state.get("TimeoutSeconds").asLong();
            long attempts = 1;
            double pauses = 0;
            for (JsonNode retry : state.path("Retry")) {
                double interval = retry.path("IntervalSeconds").asDouble(1);
                double backoff = retry.path("BackoffRate").asDouble(2);
                for (int k = 0; k < retry.path("MaxAttempts").asInt(3); k++) {
                    attempts++;
                    pauses += interval * Math.pow(backoff, k);
                }
            }
            total += timeout * attempts + (long) Math.ceil(pauses);
        }
        return total;
    }

    public static String text() {
        try (InputStream in = RestoreDefinition.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The definition with the placeholders replaced, e.g. {@code PlanFunctionArn -> arn:aws:lambda:...}. */
    public static String withResources(Map<String, String> arns) {
        String t = text();
        for (Map.Entry<String, String> e : arns.entrySet()) {
            t = t.replace("${" + e.getKey() + "}", e.getValue());
        }
        return t;
    }

    /**
     * The states a successful restore passes through, in order: from StartAt, following each state's Next and, at a
     * Choice, the branch a reachable target takes. The local runner checks its own order against this list.
     */
    public static List<String> successPath() {
        JsonNode def;
        try {
            def = RestoreJob.JSON.readTree(text());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> out = new ArrayList<>();
        String at = def.get("StartAt").asText();
        while (at != null && !out.contains(at)) {
            out.add(at);
            JsonNode s = def.get("States").get(at);
            if (s.get("Type").asText().equals("Choice")) {
                at = s.get("Choices").get(0).get("Next").asText();
            } else {
                at = s.has("Next") ? s.get("Next").asText() : null;
            }
        }
        return out;
    }
}
