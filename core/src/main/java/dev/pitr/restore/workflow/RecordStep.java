package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The Record and Record-failure states: writes the restore's outcome into the catalog under the request's id, so
 * running it again (a retried Task) replaces the same record.
 */
public final class RecordStep {

    private RecordStep() {}

    public static ObjectNode run(Catalog catalog, JsonNode input, Clock clock) {
        JsonNode request = input.get("request");
        if (RestoreJob.drill(request)) {
            return recordDrill(catalog, input, clock);
        }
        String id = RestoreJob.id(request);
        JsonNode plan = input.path("plan");
        JsonNode failure = input.path("failure");
        JsonNode replay = input.path("replay");
        RestoreRecord r = new RestoreRecord(
                id,
                clock.instant(),
                input.path("outcome").asText("failed"),
                plan.has("target") ? plan.get("target").asText() : RestoreJob.requestedTarget(request),
                RestoreJob.text(plan, "snapshot"),
                plan.has("timeline") ? plan.get("timeline").asLong() : null,
                RestoreJob.text(replay, "stoppedAt"),
                RestoreJob.text(failure, "Error"),
                RestoreJob.text(failure, "Cause"),
                timing(input));
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

    /**
     * What was measured of the restore: the local runner's whole {@code timing} ({@link RestoreJob#timingJson}); else
     * what the agent measured, by its own clock: FetchSnapshot's and Replay's {@code millis} and {@code bytes}, and as
     * the total the time from when PrepareTarget started ({@code prepared.startedAt}) to when the restored server was
     * there ({@code replay.restoredAt}), so neither the wait for an agent nor a drill's checks count. Null when nothing
     * was measured.
     */
    private static RecoveryTiming timing(JsonNode input) {
        JsonNode t = input.path("timing");
        JsonNode laid = input.path("snapshot");
        JsonNode replayed = input.path("replay");
        try {
            if (t.has("totalMillis")) {
                return new RecoveryTiming(
                        t.path("layDownMillis").asLong(),
                        t.path("layDownBytes").asLong(),
                        t.path("replayMillis").asLong(),
                        t.path("replayBytes").asLong(),
                        t.path("totalMillis").asLong());
            }
            String from = RestoreJob.text(input.path("prepared"), "startedAt");
            String to = RestoreJob.text(replayed, "restoredAt");
            if (!laid.has("millis") || !replayed.has("millis") || from == null || to == null) {
                return null;
            }
            return new RecoveryTiming(
                    laid.path("millis").asLong(),
                    laid.path("bytes").asLong(),
                    replayed.path("millis").asLong(),
                    replayed.path("bytes").asLong(),
                    Math.max(
                            0,
                            Duration.between(Instant.parse(from), Instant.parse(to))
                                    .toMillis()));
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            // a timing that makes no sense is not worth a restore's record
            return null;
        }
    }

    /** When the execution started ({@code startedAt}, from the context object); null without it. */
    private static Instant startedAt(JsonNode input) {
        String at = RestoreJob.text(input, "startedAt");
        return at == null ? null : Instant.parse(at);
    }

    /**
     * Record and Record-failure for a drill: a {@link DrillRecord} under the request's id, instead of a restore's
     * record. It passed when the restore was verified and every check Verify ran ({@code verify.checks}) passed.
     */
    private static ObjectNode recordDrill(Catalog catalog, JsonNode input, Clock clock) {
        JsonNode request = input.get("request");
        String id = RestoreJob.id(request);
        JsonNode plan = input.path("plan");
        JsonNode failure = input.path("failure");
        boolean restored = "restored".equals(input.path("outcome").asText());
        List<DrillRecord.Check> checks = new ArrayList<>();
        for (JsonNode c : input.path("verify").path("checks")) {
            checks.add(new DrillRecord.Check(
                    c.path("name").asText(), c.path("passed").asBoolean(false), RestoreJob.text(c, "detail")));
        }
        List<String> failed = checks.stream()
                .filter(c -> !c.passed())
                .map(c -> c.name() + ": " + c.detail())
                .toList();
        // what Verify returns for a drill: the promoted server and the checks it ran, none missing
        JsonNode verify = input.path("verify");
        boolean verified = "promoted".equals(verify.path("state").asText())
                && verify.path("checks").isArray();
        if (restored && !verified) {
            failed = List.of("verify: no promoted server and checks in " + verify);
        }
        boolean passed = restored && failed.isEmpty();
        Instant now = clock.instant();
        Instant began;
        try {
            began = startedAt(input);
        } catch (java.time.DateTimeException e) {
            began = null;
        }
        DrillRecord d = new DrillRecord(
                id,
                began == null ? now : began,
                now,
                passed,
                plan.has("target") ? plan.get("target").asText() : RestoreJob.requestedTarget(request),
                RestoreJob.text(plan, "snapshot"),
                restored ? timing(input) : null,
                checks,
                passed ? null : restored ? ErrorCode.DRILL_FAILED.name() : errorName(failure),
                passed
                        ? null
                        : restored ? "checks failed: " + String.join("; ", failed) : RestoreJob.text(failure, "Cause"));
        try {
            catalog.recordDrill(d);
        } catch (PitrException e) {
            throw Failures.typed(e);
        }
        ObjectNode out = RestoreJob.JSON.createObjectNode();
        out.put("recorded", id);
        out.put("outcome", passed ? "passed" : "failed");
        return out;
    }

    /**
     * A failed step's error as a drill records it: the error code's name where its cause starts with the code's label
     * ({@link Failures#typed}), else what Step Functions named ({@code States.Timeout}, an exception's class).
     */
    private static String errorName(JsonNode failure) {
        String cause = RestoreJob.text(failure, "Cause");
        if (cause != null) {
            for (ErrorCode c : ErrorCode.values()) {
                if (cause.startsWith(c.label() + ": ")) {
                    return c.name();
                }
            }
        }
        String error = RestoreJob.text(failure, "Error");
        return error == null ? ErrorCode.DRILL_FAILED.name() : error;
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
        if (RestoreJob.drill(request)) {
            return drillEnded(catalog, detail, request, id, clock, out);
        }
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
                            : request != null && request.has("target") ? RestoreJob.requestedTarget(request) : null,
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

    /** {@link #executionEnded} for a drill: records it failed unless a step recorded it already. */
    private static ObjectNode drillEnded(
            Catalog catalog, JsonNode detail, JsonNode request, String id, Clock clock, ObjectNode out) {
        try {
            Instant now = clock.instant();
            Instant started = detail.path("startDate").isNumber()
                    ? Instant.ofEpochMilli(detail.get("startDate").asLong())
                    : null;
            DrillRecord before = catalog.drill(id).orElse(null);
            // a record from before this execution started is an earlier drill's under the same id, not this one's
            if (before != null && (started == null || !before.startedAt().isBefore(started.minusSeconds(1)))) {
                out.put("outcome", before.passed() ? "passed" : "failed");
                return out;
            }
            String status = detail.path("status").asText();
            catalog.recordDrill(new DrillRecord(
                    id,
                    started == null ? now : started,
                    now,
                    false,
                    RestoreJob.requestedTarget(request),
                    null,
                    null,
                    List.of(),
                    detail.hasNonNull("error") ? detail.get("error").asText() : "States." + status,
                    detail.hasNonNull("cause")
                            ? detail.get("cause").asText()
                            : "the execution " + detail.path("executionArn").asText() + " ended " + status
                                    + " before a step could record it"));
            out.put("outcome", "failed");
            return out;
        } catch (PitrException e) {
            throw Failures.typed(e);
        }
    }
}
