package dev.pitr.restore.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class RestoreDefinitionTest {

    @Test
    void aSuccessfulRestorePassesThroughTheStepsInTheDesignsOrder() {
        assertEquals(
                List.of(
                        "Plan",
                        "TargetReachable",
                        "PrepareTarget",
                        "FetchSnapshot",
                        "WriteRecoveryConfig",
                        "Replay",
                        "Verify",
                        "Record",
                        "Restored"),
                RestoreDefinition.successPath());
    }

    @Test
    void everyTaskCatchesIntoRecordFailureAndTheHostStepsHeartbeat() throws Exception {
        JsonNode states = RestoreJob.JSON.readTree(RestoreDefinition.text()).get("States");
        for (var it = states.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode s = e.getValue();
            if (!s.get("Type").asText().equals("Task")) {
                continue;
            }
            String catchTo = s.get("Catch").get(0).get("Next").asText();
            assertTrue(catchTo.equals("RecordFailure") || catchTo.equals("Failed"), e.getKey());
            if (s.get("Resource").asText().equals("${AgentActivityArn}")) {
                assertTrue(s.get("HeartbeatSeconds").asInt() > 0, e.getKey());
                // a dead agent must end the execution, not be retried
                assertFalse(s.toString().contains("States.HeartbeatTimeout\"],\"IntervalSeconds"), e.getKey());
            }
        }
        assertEquals("$.failure.Cause", states.get("Failed").get("CausePath").asText());
    }

    /** Every Lambda task retries the transient errors AWS names for Lambda invocations, not only the first three. */
    @Test
    void everyLambdaTaskRetriesEveryTransientLambdaError() throws Exception {
        JsonNode states = RestoreJob.JSON.readTree(RestoreDefinition.text()).get("States");
        int lambdas = 0;
        for (var it = states.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode s = e.getValue();
            if (!s.path("Type").asText().equals("Task")
                    || s.path("Resource").asText().equals("${AgentActivityArn}")) {
                continue;
            }
            lambdas++;
            Set<String> retried = new TreeSet<>();
            s.path("Retry").forEach(r -> r.path("ErrorEquals").forEach(x -> retried.add(x.asText())));
            for (String error : List.of(
                    "Lambda.ServiceException",
                    "Lambda.AWSLambdaException",
                    "Lambda.SdkClientException",
                    "Lambda.ClientExecutionTimeoutException",
                    "Lambda.TooManyRequestsException",
                    "Lambda.Unknown")) {
                assertTrue(retried.contains(error), e.getKey() + " does not retry " + error + ": " + retried);
            }
        }
        assertTrue(lambdas >= 3, "the Lambda tasks: " + lambdas);
    }

    /** The ASL and {@link RestoreState} name the same states, and each host state's task carries its step. */
    @Test
    void theAslAndRestoreStateAgree() throws Exception {
        JsonNode states = RestoreJob.JSON.readTree(RestoreDefinition.text()).get("States");
        Set<String> asl = new TreeSet<>();
        states.fieldNames().forEachRemaining(asl::add);
        Set<String> named = new TreeSet<>();
        for (RestoreState s : RestoreState.values()) {
            named.add(s.aslName());
            JsonNode step = states.path(s.aslName()).path("Parameters").path("step");
            assertEquals(s.step().orElse(null), step.isMissingNode() ? null : step.asText(), s.aslName());
        }
        assertEquals(asl, named);
    }

    /**
     * The errors the ASL retries or raises by class name are the workflow's exception classes: moving or renaming one
     * without the ASL would stop its retries silently.
     */
    @Test
    void theErrorsTheAslNamesAreTheWorkflowsExceptions() throws Exception {
        Set<String> named = new TreeSet<>();
        collectErrorNames(RestoreJob.JSON.readTree(RestoreDefinition.text()), named);
        Set<String> ours = new TreeSet<>();
        for (String n : named) {
            if (!n.startsWith("States.") && !n.startsWith("Lambda.")) {
                ours.add(n);
            }
        }
        assertEquals(
                new TreeSet<>(List.of(
                        TransientException.class.getName(),
                        TargetUnreachableException.class.getName(),
                        OtherHostException.class.getName())),
                ours);
    }

    private static void collectErrorNames(JsonNode n, Set<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(f -> {
                if (f.getKey().equals("ErrorEquals")) {
                    f.getValue().forEach(v -> out.add(v.asText()));
                } else if (f.getKey().equals("Error")) {
                    out.add(f.getValue().asText());
                } else {
                    collectErrorNames(f.getValue(), out);
                }
            });
        } else if (n.isArray()) {
            n.forEach(v -> collectErrorNames(v, out));
        }
    }

    @Test
    void resourcesAreSubstituted() {
        String t = RestoreDefinition.withResources(Map.of(
                "PlanFunctionArn", "arn:aws:lambda:eu-west-1:111122223333:function:plan",
                "RecordFunctionArn", "arn:aws:lambda:eu-west-1:111122223333:function:record",
                "AgentActivityArn", "arn:aws:states:eu-west-1:111122223333:activity:agent"));
        assertFalse(t.contains("${"), t);
    }

    @Test
    void theExecutionOutlastsEveryStepsTimeoutsAddedUpSoEveryFailureIsCaughtAndRecorded() throws Exception {
        JsonNode def = RestoreJob.JSON.readTree(RestoreDefinition.text());
        long bound = RestoreDefinition.stepsBound(def);
        assertEquals(
                bound + RestoreDefinition.TRANSITIONS_SECONDS,
                def.get("TimeoutSeconds").asLong());
        assertEquals(
                RestoreDefinition.DEFAULT_PICKUP_SECONDS,
                def.get("States")
                        .get(RestoreDefinition.PICKUP_STATE)
                        .get("TimeoutSeconds")
                        .asInt());
        assertEquals(
                RestoreJob.JSON.readTree(RestoreDefinition.text()),
                RestoreJob.JSON.readTree(RestoreDefinition.text(RestoreDefinition.DEFAULT_PICKUP_SECONDS)));

        JsonNode quick = RestoreJob.JSON.readTree(RestoreDefinition.text(5));
        assertEquals(
                5,
                quick.get("States")
                        .get(RestoreDefinition.PICKUP_STATE)
                        .get("TimeoutSeconds")
                        .asInt());
        // PrepareTarget has three retries: four pickup windows fewer
        assertEquals(
                def.get("TimeoutSeconds").asLong() - 4L * (RestoreDefinition.DEFAULT_PICKUP_SECONDS - 5),
                quick.get("TimeoutSeconds").asLong());
    }
}
