package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.error.PitrException;
import java.time.Clock;

/**
 * The Record and Record-failure states: writes the restore's outcome into the catalog under the request's id, so
 * running it again (a retried Task) replaces the same record.
 */
public final class RecordStep {

    private RecordStep() {}

    public static ObjectNode run(Catalog catalog, JsonNode input, Clock clock) {
        JsonNode request = input.get("request");
        String id = RestoreJob.id(request);
        JsonNode plan = input.path("plan");
        JsonNode failure = input.path("failure");
        JsonNode replay = input.path("replay");
        RestoreRecord r = new RestoreRecord(
                id,
                clock.instant(),
                input.path("outcome").asText("failed"),
                plan.has("target")
                        ? plan.get("target").asText()
                        : RestoreJob.targetJson(RestoreJob.target(request.get("target")))
                                .toString(),
                RestoreJob.text(plan, "snapshot"),
                plan.has("timeline") ? plan.get("timeline").asLong() : null,
                RestoreJob.text(replay, "stoppedAt"),
                RestoreJob.text(failure, "Error"),
                RestoreJob.text(failure, "Cause"),
                timing(input.path("timing")));
        try {
            catalog.recordRestore(r);
        } catch (PitrException e) {
            throw Failures.typed(e);
        }
        ObjectNode out = RestoreJob.JSON.createObjectNode();
        out.put("recorded", id);
        out.put("outcome", r.outcome());
        return out;
    }

    /** What a runner measured of the restore ({@link RestoreJob#timingJson}), if it did. */
    private static RecoveryTiming timing(JsonNode t) {
        if (!t.has("totalMillis")) {
            return null;
        }
        try {
            return new RecoveryTiming(
                    t.path("layDownMillis").asLong(),
                    t.path("layDownBytes").asLong(),
                    t.path("replayMillis").asLong(),
                    t.path("replayBytes").asLong(),
                    t.path("totalMillis").asLong());
        } catch (IllegalArgumentException e) {
            // a timing that makes no sense is not worth a restore's record
            return null;
        }
    }

    /** What an EventBridge event about the restore state machine's executions says in {@code detail-type}. */
    public static final String EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change";

    /**
     * An execution that ended without a Catch to record it (it timed out as a whole, was stopped, or failed outside a
     * Task), as EventBridge delivers its status change: records the restore {@code failed} with the status as its
     * error, unless an outcome is recorded already (Record's, or Record-failure's with its own cause). The restore's id
     * is the request's, else the execution's name. Running it again changes nothing.
     */
    public static ObjectNode executionEnded(Catalog catalog, JsonNode event, Clock clock) {
        JsonNode detail = event.path("detail");
        String status = detail.path("status").asText();
        JsonNode request = null;
        try {
            if (detail.hasNonNull("input")) {
                request = RestoreJob.JSON.readTree(detail.get("input").asText()).get("request");
            }
        } catch (java.io.IOException e) {
            // an input that is not JSON: the execution's name still names the restore
        }
        String id = request != null && request.hasNonNull("id")
                ? RestoreJob.id(request)
                : detail.path("name").asText();
        ObjectNode out = RestoreJob.JSON.createObjectNode();
        out.put("recorded", id);
        try {
            RestoreRecord before = catalog.restore(id).orElse(null);
            if (before != null && !"replaying".equals(before.outcome())) {
                out.put("outcome", before.outcome());
                return out;
            }
            String cause = detail.hasNonNull("cause")
                    ? detail.get("cause").asText()
                    : "the execution " + detail.path("executionArn").asText() + " ended " + status
                            + " before a step could record it";
            RestoreRecord r = new RestoreRecord(
                    id,
                    clock.instant(),
                    "failed",
                    before != null
                            ? before.target()
                            : request != null && request.has("target")
                                    ? RestoreJob.targetJson(RestoreJob.target(request.get("target")))
                                            .toString()
                                    : null,
                    before == null ? null : before.snapshotId(),
                    before == null ? null : before.timeline(),
                    before == null ? null : before.stoppedAt(),
                    detail.hasNonNull("error") ? detail.get("error").asText() : "States." + status,
                    cause);
            catalog.recordRestore(r);
            out.put("outcome", r.outcome());
            return out;
        } catch (PitrException e) {
            throw Failures.typed(e);
        }
    }
}
