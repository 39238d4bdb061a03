package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestorePlan;
import dev.pitr.restore.RestorePlanner;
import dev.pitr.restore.RestoreRequest;

/**
 * The Plan state: reads the catalog, plans the restore and says whether the target is reachable. A refusal is an
 * answer ({@code reachable: false} with the window in {@code cause}), not a failure; a failure to read the catalog
 * is a {@link TransientException}, which the state machine retries.
 */
public final class PlanStep {

    private PlanStep() {}

    /** {@code input} is the execution's state; its {@code request} is what to plan. */
    public static ObjectNode run(Catalog catalog, JsonNode input) {
        try {
            RestoreRequest req = RestoreJob.request(input.get("request"));
            return RestoreJob.planJson(plan(catalog, req), req.action());
        } catch (PitrException e) {
            if (Failures.unreachable(e)) {
                return RestoreJob.unreachableJson(e);
            }
            throw Failures.typed(e);
        }
    }

    public static RestorePlan plan(Catalog catalog, RestoreRequest req) {
        return RestorePlanner.plan(catalog, req.target(), req.timeline(), req.inclusive(), req.snapshot());
    }
}
