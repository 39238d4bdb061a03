package dev.pitr.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Repository;
import dev.pitr.drill.DrillSteps;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.workflow.Failures;
import dev.pitr.restore.workflow.OtherHostException;
import dev.pitr.restore.workflow.PlanStep;
import dev.pitr.restore.workflow.RestoreException;
import dev.pitr.restore.workflow.RestoreJob;
import dev.pitr.restore.workflow.RestoreState;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The host steps as the state machine hands them to an agent: JSON in ({@code step}, {@code request}, {@code plan}
 * and, for Verify, {@code replay}), JSON out. Failures leave as the typed exceptions the state machine retries or
 * catches by name. The recovery settings are the ones the Plan state decided; the segment list to prefetch is planned
 * again from the catalog with the plan's snapshot pinned (the plan itself carries only its ends, to stay small).
 */
public final class ActivitySteps implements ActivityWorker.Steps {

    private final Repository repo;
    private final RestoreSteps steps;
    private final AgentLimits limits;
    private final String agent;
    private final DrillSteps drills;
    private volatile RestoreRequest inFlight;
    private volatile String inFlightDrill;

    /**
     * {@code agent} names this agent (its host): PrepareTarget returns it, and the state machine hands it to every
     * later step of the restore, which another agent refuses with {@link OtherHostException}. {@code drills} runs the
     * steps a drill adds ({@code request.drill}); an agent without it refuses drills.
     */
    public ActivitySteps(Repository repo, RestoreSteps steps, AgentLimits limits, String agent, DrillSteps drills) {
        this.repo = repo;
        this.steps = steps;
        this.limits = limits;
        this.agent = agent;
        this.drills = drills;
    }

    /** An agent that runs no drills. */
    public ActivitySteps(Repository repo, RestoreSteps steps, AgentLimits limits, String agent) {
        this(repo, steps, limits, agent, null);
    }

    /**
     * Runs a step. A drill's step that fails, however, stops the drill's server and removes its copy, which nothing
     * else would: a FetchSnapshot the state machine retries makes the copy's directory again.
     */
    @Override
    public ObjectNode run(JsonNode input, Runnable progress) {
        try {
            return dispatch(input, progress);
        } catch (PitrException e) {
            cleanUpDrill();
            throw Failures.typed(e);
        } catch (RuntimeException e) {
            cleanUpDrill();
            throw e;
        } finally {
            inFlight = null;
            inFlightDrill = null;
        }
    }

    /**
     * Stops the server the step in flight started, if it runs: the agent is being stopped mid-restore. A drill's copy
     * is removed as well.
     */
    @Override
    public void abort() {
        RestoreRequest req = inFlight;
        if (req != null) {
            steps.stopServer(req);
        }
        cleanUpDrill();
    }

    private void cleanUpDrill() {
        RestoreRequest req = inFlight;
        String drill = inFlightDrill;
        if (req != null && drill != null) {
            drills.cleanUp(drill, req);
        }
    }

    private ObjectNode dispatch(JsonNode input, Runnable progress) {
        String step = input.path("step").asText();
        JsonNode request = input.get("request");
        JsonNode plan = input.path("plan");
        RestoreRequest req = RestoreJob.request(request, plan);
        // the owner first: a step of another agent's restore is handed out again whatever this agent allows
        String owner = text(input, "agent");
        if (owner != null && !owner.equals(agent)) {
            throw new OtherHostException("step " + step + " of restore " + RestoreJob.id(request)
                    + " belongs to the agent on " + owner + ", which prepared its target; this is " + agent);
        }
        boolean drill = RestoreJob.drill(request);
        // progress is recorded under a restore's id; a drill's record is its outcome alone
        String id = drill ? null : RestoreJob.id(request);
        if (drill) {
            if (drills == null) {
                throw new PitrException(
                        ErrorCode.TARGET_DIR_REFUSED,
                        "this agent runs no restore drills (agent.drills is false)",
                        "set agent.drills: true in the agent's configuration, with drill.directory on a file system"
                                + " with room for a whole restore");
            }
            // where a drill goes is this host's configuration, never the request's
            req = drills.scratchRequest(RestoreJob.id(request), req);
        } else {
            // every step, not only the first: a step's input is whatever the execution holds
            // a delta restore changes what a directory holds as --force does
            limits.check(req.targetDir(), req.force() || req.delta());
        }
        inFlight = req;
        ObjectNode out = RestoreJob.JSON.createObjectNode();
        RestoreState state = RestoreState.ofStep(step)
                .orElseThrow(() -> new RestoreException("usage: unknown restore step '" + step + "'", null));
        // a drill's copy is removed when a step fails, once the drill made its directory: PrepareTarget's refusal of
        // a directory that exists already leaves that one as it is
        // (Verify touches nothing of a drill's: Replay checked it and removed its copy)
        if (drill && (state == RestoreState.WRITE_RECOVERY_CONFIG || state == RestoreState.REPLAY)) {
            drills.requireOwn(req.targetDir());
            inFlightDrill = RestoreJob.id(request);
        }
        switch (state) {
            case PREPARE_TARGET -> {
                out.put("startedAt", Instant.now().toString());
                if (drill) {
                    drills.prepare(
                            req.targetDir(), plan.path("snapshotPlainBytes").asLong(0));
                    inFlightDrill = RestoreJob.id(request);
                }
                steps.prepareTarget(req, progress);
                out.put("targetDir", req.targetDir().toAbsolutePath().toString());
                out.put("agent", agent);
            }
            case FETCH_SNAPSHOT -> {
                if (drill) {
                    // a retry, after the failure before it removed the copy, makes the drill's directory again
                    if (!Files.exists(req.targetDir(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        drills.prepare(
                                req.targetDir(), plan.path("snapshotPlainBytes").asLong(0));
                        inFlightDrill = RestoreJob.id(request);
                        steps.prepareTarget(req, progress);
                    }
                    // what is there must be the directory PrepareTarget (or the lines above) made, nothing put there
                    // since
                    drills.requireOwn(req.targetDir());
                    inFlightDrill = RestoreJob.id(request);
                }
                long total = plan.path("snapshotPlainBytes").asLong(0);
                dev.pitr.status.Progress.Rate rate = new dev.pitr.status.Progress.Rate();
                long[] next = {System.nanoTime() + 10_000_000_000L};
                steps.showingLaidBytes(bytes -> {
                    double r = rate.at(Instant.now(), bytes);
                    if (id != null && System.nanoTime() >= next[0]) {
                        next[0] = System.nanoTime() + 10_000_000_000L;
                        record(
                                id,
                                plan,
                                "laying-down",
                                null,
                                dev.pitr.status.Progress.line("lay-down", total, bytes, r));
                    }
                });
                long t0 = System.nanoTime();
                try {
                    out.put("files", steps.fetchSnapshot(req, snapshot(plan), progress));
                } finally {
                    steps.showingLaidBytes(bytes -> {});
                }
                // what the catalog's restore rates are made of; a delta lays down what differs only
                out.put("millis", (System.nanoTime() - t0) / 1_000_000);
                out.put("bytes", req.delta() ? 0 : total);
            }
            case WRITE_RECOVERY_CONFIG -> {
                steps.writeRecoveryConfig(req, settings(plan));
                if (drill) {
                    drills.isolate(RestoreJob.id(request), req);
                }
                out.set("settings", plan.get("settings"));
            }
            case REPLAY -> {
                RestorePlan again = replan(req, plan);
                long t0 = System.nanoTime();
                RestoreSteps.Replayed r = steps.replay(
                        req,
                        again.segments(),
                        again.path(),
                        RestoreSteps.wantsTarget(settings(plan)),
                        watch(id, req, plan, progress));
                out.put("millis", (System.nanoTime() - t0) / 1_000_000);
                out.put(
                        "bytes",
                        r.redoDoneAt() == null
                                ? 0
                                : Math.max(
                                        0,
                                        r.redoDoneAt().value()
                                                - again.snapshot().startLsn().value()));
                out.put("restoredAt", Instant.now().toString());
                out.put("stopReason", r.stopReason());
                out.put(
                        "stoppedAt",
                        r.redoDoneAt() == null ? null : r.redoDoneAt().toString());
                out.put("lastTransaction", r.lastTransaction());
                out.put(
                        "timeline",
                        r.timeline() == null ? null : Long.toString(r.timeline().value()));
                if (drill) {
                    checkDrill(out, RestoreJob.id(request), req, plan, r, progress);
                }
            }
            case VERIFY -> {
                JsonNode replay = input.path("replay");
                if (drill) {
                    // the drill was verified and checked by Replay, and its copy is gone: what Replay found stands
                    if (!replay.has("state") || !replay.path("checks").isArray()) {
                        throw new PitrException(
                                ErrorCode.RESTORE_FAILED,
                                "the drill's Replay step returned no verified state and checks",
                                "run the drill again on an agent of this version");
                    }
                    out.put("state", text(replay, "state"));
                    out.set("checks", replay.get("checks"));
                    return out;
                }
                RestoreSteps.Replayed r = new RestoreSteps.Replayed(
                        text(replay, "stopReason"),
                        replay.hasNonNull("stoppedAt") ? Lsn.parse(text(replay, "stoppedAt")) : null,
                        text(replay, "lastTransaction"),
                        replay.hasNonNull("timeline")
                                ? TimelineId.of(replay.get("timeline").asLong())
                                : null);
                out.put("state", verified(req, plan, r));
            }
            default ->
                throw new RestoreException("usage: " + state.aslName() + " is not a step of the restore host", null);
        }
        return out;
    }

    /** The restored server's state, checked against the plan ({@link RestoreSteps#verify}). */
    private String verified(RestoreRequest req, JsonNode plan, RestoreSteps.Replayed r) {
        String mustReach = text(plan, "mustReach");
        return steps.verify(
                req, RestoreSteps.wantsTarget(settings(plan)), mustReach == null ? null : Lsn.parse(mustReach), r);
    }

    /**
     * A drill's Verify, run in its Replay step as soon as the server promoted, so that the scratch server lives no longer
     * than one step of this agent (a step the state machine gives up on is aborted here): the restored server's state
     * ({@link RestoreSteps#verify}) as {@code state}, then the drill's checks as {@code checks}; then the server is
     * stopped and the copy removed, whatever the checks found. A copy that cannot be removed (its server would not
     * stop, say) fails the drill: a {@code clean-up} check says what stays. {@code restoredAt} is when the server was verified, before the checks.
     */
    private void checkDrill(
            ObjectNode out, String id, RestoreRequest req, JsonNode plan, RestoreSteps.Replayed r, Runnable progress) {
        ArrayNode checks;
        String left;
        try {
            out.put("state", verified(req, plan, r));
            out.put("restoredAt", Instant.now().toString());
            checks = out.putArray("checks");
            for (DrillRecord.Check c : drills.check(id, req, progress)) {
                checks.addObject()
                        .put("name", c.name())
                        .put("passed", c.passed())
                        .put("detail", c.detail());
            }
        } finally {
            left = drills.cleanUp(id, req);
        }
        if (left != null) {
            checks.addObject().put("name", "clean-up").put("passed", false).put("detail", left);
        }
    }

    /**
     * While PostgreSQL replays (called about every 200 ms): says {@code progress} whenever the server's log grows (a
     * segment restored, a checkpoint, consistency reached), and records every 10 s how far replay got by its log
     * ({@code outcome: replaying}, {@link RecoveryLog#replayedUpTo}) under the restore's id, for {@code pitr restore
     * --remote} to show; the Record state replaces it with the outcome.
     */
    private Runnable watch(String id, RestoreRequest req, JsonNode plan, Runnable progress) {
        long[] next = {System.nanoTime()};
        String[] last = {null};
        long[] logSize = {-1};
        Path log = req.targetDir().resolve(RestoreSteps.RESTORE_LOG);
        RecoveryLog serverLog = new RecoveryLog(log);
        long segmentSize = plan.path("segmentSize").asLong(16L << 20);
        SnapshotRecord snap = snapshot(plan);
        String lastSegment = text(plan, "lastSegment");
        long start = snap.startLsn().value();
        long total = lastSegment == null
                ? 0
                : Math.max(
                        0,
                        dev.pitr.wal.SegmentName.parse(lastSegment, segmentSize)
                                        .endLsn()
                                        .value()
                                - start);
        dev.pitr.status.Progress.Rate rate = new dev.pitr.status.Progress.Rate();
        return () -> {
            try {
                long size = Files.size(log);
                if (size != logSize[0]) {
                    logSize[0] = size;
                    progress.run();
                }
            } catch (IOException e) {
                // no log yet: the server is starting
            }
            serverLog.refresh();
            java.util.Optional<Lsn> at = serverLog.replayedUpTo(segmentSize);
            double r = at.map(l -> rate.at(Instant.now(), Math.max(0, l.value() - start)))
                    .orElse(-1.0);
            if (id == null || System.nanoTime() < next[0] || at.isEmpty()) {
                return;
            }
            next[0] = System.nanoTime() + 10_000_000_000L;
            String lsn = at.get().toString();
            if (!lsn.equals(last[0])) {
                last[0] = lsn;
                progress.run();
                record(
                        id,
                        plan,
                        "replaying",
                        lsn,
                        dev.pitr.status.Progress.line(
                                "replay", total, Math.max(0, at.get().value() - start), r));
            }
        };
    }

    /**
     * Records how far the restore {@code id} has come ({@code outcome} {@code laying-down} or {@code replaying}, the
     * replayed LSN, and the progress line as its cause) for {@code pitr restore --remote} to show; never over an
     * outcome, since a restore the state machine gave up on stays failed. A busy catalog costs the record: progress is
     * a courtesy.
     */
    private void record(String id, JsonNode plan, String outcome, String lsn, String line) {
        try {
            String now = repo.catalog().restore(id).map(RestoreRecord::outcome).orElse(outcome);
            if (!now.equals("laying-down") && !now.equals("replaying")) {
                return;
            }
            repo.catalog()
                    .recordRestore(new RestoreRecord(
                            id,
                            Instant.now(),
                            outcome,
                            text(plan, "target"),
                            text(plan, "snapshot"),
                            plan.path("timeline").asLong(),
                            lsn,
                            null,
                            line));
        } catch (PitrException e) {
            // the catalog is busy
        }
    }

    private SnapshotRecord snapshot(JsonNode plan) {
        String id = text(plan, "snapshot");
        return repo.catalog()
                .snapshot(new SnapshotId(id))
                .orElseThrow(() -> new PitrException(
                        ErrorCode.SNAPSHOT_NOT_FOUND,
                        "the plan's snapshot " + id + " is not in the catalog",
                        "plan the restore again"));
    }

    private RestorePlan replan(RestoreRequest req, JsonNode plan) {
        RestoreRequest pinned = new RestoreRequest(
                req.target(),
                req.timeline(),
                req.inclusive(),
                req.targetDir(),
                req.port(),
                req.action(),
                new SnapshotId(text(plan, "snapshot")),
                req.force());
        RestorePlan again = PlanStep.plan(repo.catalog(), pinned);
        if (again.timeline().value() != plan.path("timeline").asLong()) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "the archive changed since the plan: it now leads to timeline " + again.timeline() + ", not "
                            + plan.path("timeline").asLong(),
                    "start the restore again");
        }
        return again;
    }

    private static Map<String, String> settings(JsonNode plan) {
        Map<String, String> m = new LinkedHashMap<>();
        plan.path("settings")
                .fields()
                .forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
