package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
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

    private RestoreDefinition() {}

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
