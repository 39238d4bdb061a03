package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.drill.DrillTargets;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestorePlan;
import dev.pitr.restore.RestorePlanner;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.RestoreWindow;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * The Plan state: reads the catalog, plans the restore and says whether the target is reachable. A refusal is an
 * answer ({@code reachable: false} with the window in {@code cause}), not a failure; a failure to read the catalog
 * is a {@link TransientException}, which the state machine retries. A drill's random target is picked here ({@link
 * DrillTargets#pick}, passing over the stretch of the last drill that passed) and returned as {@code picked}, which
 * every later step restores to.
 */
public final class PlanStep {

    private PlanStep() {}

    /** {@code input} is the execution's state; its {@code request} is what to plan. */
    public static ObjectNode run(Catalog catalog, JsonNode input) {
        return run(catalog, input, Clock.systemUTC());
    }

    /** As {@link #run(Catalog, JsonNode)}, saying when it planned ({@code plannedAt}) by {@code clock}. */
    public static ObjectNode run(Catalog catalog, JsonNode input, Clock clock) {
        try {
            JsonNode request = input.get("request");
            ObjectNode picked = null;
            if (RestoreJob.drill(request) && RestoreJob.randomTarget(request)) {
                String lastPassed = catalog.latestDrill(false)
                        .filter(DrillRecord::passed)
                        .map(DrillRecord::snapshotId)
                        .orElse(null);
                RestoreTarget t =
                        RestoreWindow.repairing(catalog, w -> DrillTargets.pick(w, lastPassed, new SecureRandom()));
                picked = RestoreJob.targetJson(t);
            }
            ObjectNode pickedPlan = RestoreJob.JSON.createObjectNode();
            pickedPlan.set("picked", picked);
            RestoreRequest req = RestoreJob.request(request, pickedPlan);
            ObjectNode plan = RestoreJob.planJson(plan(catalog, req), req.action());
            if (picked != null) {
                plan.set("picked", picked);
            }
            plan.put("plannedAt", clock.instant().toString());
            return plan;
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
