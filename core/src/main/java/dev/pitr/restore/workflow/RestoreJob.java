package dev.pitr.restore.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestorePlan;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.TargetTimeline;
import dev.pitr.wal.Lsn;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * The JSON a restore execution carries from state to state: {@code request} (what was asked, set when the execution
 * starts) and {@code plan} (what the Plan task decided). Kept small on purpose, well under the 256 KB a Step Functions
 * payload may hold: the plan names the snapshot and the WAL's first and last segment, and each host step plans again
 * from the catalog with that snapshot pinned, which gives the same segment list.
 */
public final class RestoreJob {

    public static final ObjectMapper JSON = new ObjectMapper();

    private RestoreJob() {}

    public static ObjectNode requestJson(String id, RestoreRequest r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", id);
        n.set("target", targetJson(r.target()));
        n.put("timeline", timelineText(r.timeline()));
        n.put("inclusive", r.inclusive());
        n.put("snapshot", r.snapshot() == null ? null : r.snapshot().value());
        n.put("targetDir", r.targetDir() == null ? null : r.targetDir().toString());
        n.put("port", r.port());
        n.put("action", r.action().setting());
        n.put("force", r.force());
        n.put("delta", r.delta());
        return n;
    }

    /** The request {@code n} asks for; a drill's random target must have been picked by Plan ({@link #request(JsonNode, JsonNode)}). */
    public static RestoreRequest request(JsonNode n) {
        return request(n, null);
    }

    /**
     * The request {@code n} asks for, with the target {@code plan} picked for it ({@code picked}) when it asked for a
     * random one. A drill ({@code drill: true}) is always promoted into a new directory the agent names from its own
     * configuration: what the request says of the directory, port, action, force and delta is not a drill's to choose,
     * and its id, which names that directory, must be a plain name.
     */
    public static RestoreRequest request(JsonNode n, JsonNode plan) {
        try {
            if (drill(n)) {
                String id = id(n);
                if (id == null || !DRILL_ID.matcher(id).matches()) {
                    throw new IllegalArgumentException("a drill's id must be 1 to 64 letters, digits, '.', '_' or"
                            + " '-', starting with a letter or digit, not " + (id == null ? "none" : "'" + id + "'"));
                }
                return new RestoreRequest(
                        chosenTarget(n, plan),
                        TargetTimeline.parse(text(n, "timeline")),
                        !n.has("inclusive") || n.get("inclusive").asBoolean(),
                        null,
                        0,
                        RestoreRequest.Action.PROMOTE,
                        text(n, "snapshot") == null ? null : new SnapshotId(text(n, "snapshot")),
                        false,
                        false);
            }
            return new RestoreRequest(
                    chosenTarget(n, plan),
                    TargetTimeline.parse(text(n, "timeline")),
                    !n.has("inclusive") || n.get("inclusive").asBoolean(),
                    text(n, "targetDir") == null ? null : Path.of(text(n, "targetDir")),
                    n.path("port").asInt(5433),
                    RestoreRequest.Action.valueOf(
                            n.path("action").asText("promote").toUpperCase(Locale.ROOT)),
                    text(n, "snapshot") == null ? null : new SnapshotId(text(n, "snapshot")),
                    n.path("force").asBoolean(false),
                    n.path("delta").asBoolean(false));
        } catch (RuntimeException e) {
            if (e instanceof PitrException p) {
                throw p;
            }
            throw new PitrException(
                    ErrorCode.BAD_TARGET,
                    "malformed restore request " + n + ": " + e.getMessage(),
                    "start the execution with the request 'pitr restore --latest --remote' writes, with its own target",
                    e);
        }
    }

    /** Whether {@code request} asks for a restore drill rather than a restore. */
    public static boolean drill(JsonNode request) {
        return request != null && request.path("drill").asBoolean(false);
    }

    /** Whether {@code request} leaves its target for the Plan state to pick at random (drills only). */
    public static boolean randomTarget(JsonNode request) {
        return request != null
                && "random".equals(request.path("target").path("kind").asText());
    }

    /** What the request asked to restore to, as a record names it ({@code random} until one is picked). */
    static String requestedTarget(JsonNode request) {
        return randomTarget(request)
                ? "random"
                : targetJson(target(request.get("target"))).toString();
    }

    private static final java.util.regex.Pattern DRILL_ID =
            java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static RestoreTarget chosenTarget(JsonNode request, JsonNode plan) {
        if (!randomTarget(request)) {
            return target(request.get("target"));
        }
        if (!drill(request)) {
            throw new IllegalArgumentException("a random target is for drills only (\"drill\": true)");
        }
        JsonNode picked = plan == null ? null : plan.get("picked");
        if (picked == null || picked.isNull()) {
            throw new IllegalArgumentException("the random target has not been picked: the Plan state picks it");
        }
        return target(picked);
    }

    /** A restore's timing, as the state carries it to Record under {@code timing}. */
    public static ObjectNode timingJson(dev.pitr.catalog.RecoveryTiming t) {
        ObjectNode n = JSON.createObjectNode();
        n.put("layDownMillis", t.layDownMillis());
        n.put("layDownBytes", t.layDownBytes());
        n.put("replayMillis", t.replayMillis());
        n.put("replayBytes", t.replayBytes());
        n.put("totalMillis", t.totalMillis());
        return n;
    }

    /** The request's id: the execution's name, or a local run's. */
    public static String id(JsonNode request) {
        return text(request, "id");
    }

    public static ObjectNode targetJson(RestoreTarget t) {
        ObjectNode n = JSON.createObjectNode();
        if (t instanceof RestoreTarget.Time time) {
            n.put("kind", "time").put("time", time.time().toString());
        } else if (t instanceof RestoreTarget.AtLsn at) {
            n.put("kind", "lsn").put("lsn", at.lsn().toString());
        } else if (t instanceof RestoreTarget.Xid x) {
            n.put("kind", "xid").put("xid", x.xid());
        } else if (t instanceof RestoreTarget.Named nm) {
            n.put("kind", "name").put("name", nm.name());
        } else if (t instanceof RestoreTarget.Immediate) {
            n.put("kind", "immediate");
        } else {
            n.put("kind", "latest");
        }
        return n;
    }

    static RestoreTarget target(JsonNode n) {
        String kind = n == null ? "latest" : n.path("kind").asText("latest");
        return switch (kind) {
            case "time" -> new RestoreTarget.Time(Instant.parse(n.get("time").asText()));
            case "lsn" -> new RestoreTarget.AtLsn(Lsn.parse(n.get("lsn").asText()));
            case "xid" -> new RestoreTarget.Xid(n.get("xid").asLong());
            case "name" -> new RestoreTarget.Named(n.get("name").asText());
            case "immediate" -> new RestoreTarget.Immediate();
            case "latest" -> new RestoreTarget.Latest();
            default -> throw new IllegalArgumentException("unknown target kind " + kind);
        };
    }

    static String timelineText(TargetTimeline t) {
        if (t instanceof TargetTimeline.Exactly e) {
            return Long.toString(e.timeline().value());
        }
        return t instanceof TargetTimeline.Current ? "current" : "latest";
    }

    /** What the Plan task returns when the target is reachable. */
    public static ObjectNode planJson(RestorePlan p, RestoreRequest.Action action) {
        ObjectNode n = JSON.createObjectNode();
        n.put("reachable", true);
        n.put("target", RestoreTarget.describe(p.requested()));
        n.put("snapshot", p.snapshot().id().value());
        n.put("snapshotTimeline", p.snapshot().timeline().value());
        n.put("timeline", p.timeline().value());
        n.put("historyFiles", p.histories().size());
        n.put("segments", p.segments().size());
        n.put(
                "firstSegment",
                p.segments().isEmpty() ? null : p.segments().get(0).name().fileName());
        n.put(
                "lastSegment",
                p.segments().isEmpty()
                        ? null
                        : p.segments().get(p.segments().size() - 1).name().fileName());
        n.put(
                "segmentSize",
                p.segments().isEmpty() ? null : p.segments().get(0).name().segmentSize());
        n.put("walPlainBytes", p.walPlainBytes());
        n.put("walStoredBytes", p.walStoredBytes());
        n.put("snapshotPlainBytes", p.chain().plainSize());
        n.put("chainLength", p.chain().length());
        n.put("estimatedSeconds", p.estimate().toMillis() / 1000.0);
        n.put("stopsAt", p.stopsAt() == null ? null : p.stopsAt().toString());
        n.put("mustReach", p.mustReach() == null ? null : p.mustReach().toString());
        n.put("note", p.note());
        n.put("window", p.window());
        ObjectNode settings = n.putObject("settings");
        p.recoverySettings(action).forEach(settings::put);
        return n;
    }

    /** What the Plan task returns when the target cannot be reached: the Choice sends it to Record-failure. */
    public static ObjectNode unreachableJson(PitrException e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("reachable", false);
        n.put("code", e.code().label());
        n.put("cause", e.getMessage() + (e.hint() == null ? "" : "\nHINT: " + e.hint()));
        return n;
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
