package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
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
                RestoreJob.text(failure, "Cause"));
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
}
