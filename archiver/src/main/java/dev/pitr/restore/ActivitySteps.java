package dev.pitr.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Repository;
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
    private volatile RestoreRequest inFlight;

    /**
     * {@code agent} names this agent (its host): PrepareTarget returns it, and the state machine hands it to every
     * later step of the restore, which another agent refuses with {@link OtherHostException}.
     */
    public ActivitySteps(Repository repo, RestoreSteps steps, AgentLimits limits, String agent) {
        this.repo = repo;
        this.steps = steps;
        this.limits = limits;
        this.agent = agent;
    }

    @Override
    public ObjectNode run(JsonNode input, Runnable progress) {
        try {
            return dispatch(input, progress);
        } catch (PitrException e) {
            throw Failures.typed(e);
        } finally {
            inFlight = null;
        }
    }

    /** Stops the server the step in flight started, if it runs: the agent is being stopped mid-restore. */
    @Override
    public void abort() {
        RestoreRequest req = inFlight;
        if (req != null) {
            steps.stopServer(req);
        }
    }

    private ObjectNode dispatch(JsonNode input, Runnable progress) {
        String step = input.path("step").asText();
        RestoreRequest req = RestoreJob.request(input.get("request"));
        // the owner first: a step of another agent's restore is handed out again whatever this agent allows
        String owner = text(input, "agent");
        if (owner != null && !owner.equals(agent)) {
            throw new OtherHostException("step " + step + " of restore " + RestoreJob.id(input.get("request"))
                    + " belongs to the agent on " + owner + ", which prepared its target; this is " + agent);
        }
        // every step, not only the first: a step's input is whatever the execution holds
        // a delta restore changes what a directory holds as --force does
        limits.check(req.targetDir(), req.force() || req.delta());
        inFlight = req;
        JsonNode plan = input.path("plan");
        ObjectNode out = RestoreJob.JSON.createObjectNode();
        RestoreState state = RestoreState.ofStep(step)
                .orElseThrow(() -> new RestoreException("usage: unknown restore step '" + step + "'", null));
        switch (state) {
            case PREPARE_TARGET -> {
                steps.prepareTarget(req, progress);
                out.put("targetDir", req.targetDir().toAbsolutePath().toString());
                out.put("agent", agent);
            }
            case FETCH_SNAPSHOT -> {
                String id = RestoreJob.id(input.get("request"));
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
                try {
                    out.put("files", steps.fetchSnapshot(req, snapshot(plan), progress));
                } finally {
                    steps.showingLaidBytes(bytes -> {});
                }
            }
            case WRITE_RECOVERY_CONFIG -> {
                steps.writeRecoveryConfig(req, settings(plan));
                out.set("settings", plan.get("settings"));
            }
            case REPLAY -> {
                RestorePlan again = replan(req, plan);
                RestoreSteps.Replayed r = steps.replay(
                        req,
                        again.segments(),
                        RestoreSteps.wantsTarget(settings(plan)),
                        watch(input, req, plan, progress));
                out.put("stopReason", r.stopReason());
                out.put(
                        "stoppedAt",
                        r.redoDoneAt() == null ? null : r.redoDoneAt().toString());
                out.put("lastTransaction", r.lastTransaction());
                out.put(
                        "timeline",
                        r.timeline() == null ? null : Long.toString(r.timeline().value()));
            }
            case VERIFY -> {
                JsonNode replay = input.path("replay");
                RestoreSteps.Replayed r = new RestoreSteps.Replayed(
                        text(replay, "stopReason"),
                        replay.hasNonNull("stoppedAt") ? Lsn.parse(text(replay, "stoppedAt")) : null,
                        text(replay, "lastTransaction"),
                        replay.hasNonNull("timeline")
                                ? TimelineId.of(replay.get("timeline").asLong())
                                : null);
                String mustReach = text(plan, "mustReach");
                out.put(
                        "state",
                        steps.verify(
                                req,
                                RestoreSteps.wantsTarget(settings(plan)),
                                mustReach == null ? null : Lsn.parse(mustReach),
                                r));
            }
            default ->
                throw new RestoreException("usage: " + state.aslName() + " is not a step of the restore host", null);
        }
        return out;
    }

    /**
     * While PostgreSQL replays (called about every 200 ms): says {@code progress} whenever the server's log grows (a
     * segment restored, a checkpoint, consistency reached), and records every 10 s how far replay got by its log
     * ({@code outcome: replaying}, {@link RecoveryLog#replayedUpTo}) under the restore's id, for {@code pitr restore
     * --remote} to show; the Record state replaces it with the outcome.
     */
    private Runnable watch(JsonNode input, RestoreRequest req, JsonNode plan, Runnable progress) {
        String id = RestoreJob.id(input.get("request"));
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
