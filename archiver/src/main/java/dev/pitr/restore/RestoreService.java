package dev.pitr.restore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.workflow.Failures;
import dev.pitr.restore.workflow.PlanStep;
import dev.pitr.restore.workflow.RecordStep;
import dev.pitr.restore.workflow.RestoreDefinition;
import dev.pitr.restore.workflow.RestoreJob;
import dev.pitr.restore.workflow.RestoreState;
import dev.pitr.restore.workflow.TargetUnreachableException;
import dev.pitr.status.Progress;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.io.PrintWriter;
import java.time.Clock;

/**
 * A local restore: the restore state machine run in-process, without AWS. It walks the states of the same ASL file
 * a Step Functions execution runs ({@link RestoreDefinition#successPath()}), so the order cannot drift from the
 * definition: each state name is dispatched to the same step code (the Plan and Record steps of {@code functions},
 * the host steps of {@link RestoreSteps}), and a failure in any of them is recorded as Record-failure records it,
 * then reported with its exit code. Every check that can refuse the request runs before the target directory is
 * touched.
 */
public final class RestoreService {

    /** What the restored server reported, and the plan it followed. */
    public record Outcome(
            RestorePlan plan,
            String stopReason,
            Lsn redoDoneAt,
            String lastTransaction,
            TimelineId timeline,
            RecoveryTiming timing) {

        public SnapshotRecord snapshot() {
            return plan.snapshot();
        }
    }

    private final Repository repo;
    private final RestoreSteps steps;
    private final Clock clock;
    private final PrintWriter log;

    public RestoreService(Config config, Repository repo, PgTools tools, Clock clock, PrintWriter log) {
        this.repo = repo;
        this.steps = new RestoreSteps(config, repo, tools, clock, log);
        this.clock = clock;
        this.log = log;
    }

    /**
     * Shows the lay-down's progress (plain bytes of the snapshot's chain read, labelled {@code lay-down}) and replay's
     * (WAL bytes replayed of those planned, {@code replay}) on the progress {@code progress} makes for a label and a
     * total.
     */
    public RestoreService showing(java.util.function.BiFunction<String, Long, Progress> progress) {
        this.progress = progress;
        return this;
    }

    /** Picks the snapshot and proves the archive reaches the target from it; reads the catalog only. */
    public RestorePlan plan(RestoreRequest req) {
        return PlanStep.plan(repo.catalog(), req);
    }

    private java.util.function.BiFunction<String, Long, Progress> progress = (label, total) -> Progress.NONE;

    private java.util.function.Consumer<java.nio.file.Path> beforeStart = dir -> {};

    private boolean recorded = true;

    /**
     * Runs {@code adjust} on the data directory once the recovery settings are written, before the server first
     * starts: a drill keeps its scratch server off the network this way.
     */
    public RestoreService beforeServerStarts(java.util.function.Consumer<java.nio.file.Path> adjust) {
        this.beforeStart = adjust;
        return this;
    }

    /** A restore that records no outcome in the catalog's restores: a drill records its own. */
    public RestoreService unrecorded() {
        this.recorded = false;
        return this;
    }

    public Outcome restore(RestoreRequest req) {
        String id = "local-" + clock.instant().toString().replace(':', '-');
        ObjectNode state = RestoreJob.JSON.createObjectNode();
        state.set("request", RestoreJob.requestJson(id, req));
        RestorePlan plan = null;
        RestoreSteps.Replayed replayed = null;
        long began = System.nanoTime();
        long layDownNanos = 0;
        long replayNanos = 0;
        RecoveryTiming timing = null;
        try {
            for (String name : RestoreDefinition.successPath()) {
                switch (RestoreState.ofAslName(name)) {
                    case PLAN -> {
                        plan = plan(req);
                        state.set("plan", RestoreJob.planJson(plan, req.action()));
                    }
                    case TARGET_REACHABLE -> {
                        // plan() has already thrown for an unreachable target: the Choice's other branch
                    }
                    case PREPARE_TARGET -> steps.prepareTarget(req);
                    case FETCH_SNAPSHOT -> {
                        Progress laying =
                                progress.apply("lay-down", plan.chain().plainSize());
                        long t0 = System.nanoTime();
                        steps.showingLaidBytes(laying::at).fetchSnapshot(req, plan.snapshot());
                        layDownNanos = System.nanoTime() - t0;
                        laying.finish();
                    }
                    case WRITE_RECOVERY_CONFIG -> {
                        steps.writeRecoveryConfig(req, plan.recoverySettings(req.action()));
                        beforeStart.accept(req.targetDir().toAbsolutePath().normalize());
                    }
                    case REPLAY -> {
                        Progress replaying = plan.segments().isEmpty()
                                ? Progress.NONE
                                : progress.apply(
                                        "replay",
                                        Math.max(
                                                0,
                                                plan.segments()
                                                                .get(plan.segments()
                                                                                .size()
                                                                        - 1)
                                                                .endLsn()
                                                                .value()
                                                        - plan.snapshot()
                                                                .startLsn()
                                                                .value()));
                        long t0 = System.nanoTime();
                        replayed = steps.replay(
                                req,
                                plan.segments(),
                                plan.path(),
                                wantsTarget(plan, req),
                                replayProgress(req, plan, replaying));
                        replayNanos = System.nanoTime() - t0;
                        if (replayed.redoDoneAt() != null) {
                            replaying.at(Math.max(
                                    0,
                                    replayed.redoDoneAt().value()
                                            - plan.snapshot().startLsn().value()));
                        }
                        replaying.finish();
                        state.putObject("replay")
                                .put(
                                        "stoppedAt",
                                        replayed.redoDoneAt() == null
                                                ? null
                                                : replayed.redoDoneAt().toString());
                    }
                    case VERIFY -> steps.verify(req, wantsTarget(plan, req), plan.mustReach(), replayed);
                    case RECORD -> {
                        timing = new RecoveryTiming(
                                layDownNanos / 1_000_000,
                                // a delta lays down what differs only: no rate for a whole lay-down from it
                                req.delta() ? 0 : plan.chain().plainSize(),
                                replayNanos / 1_000_000,
                                replayed.redoDoneAt() == null
                                        ? 0
                                        : Math.max(
                                                0,
                                                replayed.redoDoneAt().value()
                                                        - plan.snapshot()
                                                                .startLsn()
                                                                .value()),
                                (System.nanoTime() - began) / 1_000_000);
                        state.set("timing", RestoreJob.timingJson(timing));
                        state.put("outcome", "restored");
                        record(state);
                    }
                    case RESTORED -> {
                        // the Succeed state
                    }
                    default -> throw new IllegalStateException("the local runner has no step for state " + name);
                }
            }
        } catch (PitrException e) {
            String error = Failures.unreachable(e)
                    ? TargetUnreachableException.class.getName()
                    : Failures.typed(e).getClass().getName();
            state.put("outcome", "failed");
            state.putObject("failure").put("Error", error).put("Cause", e.getMessage());
            record(state);
            throw e;
        }
        return new Outcome(
                plan,
                replayed.stopReason(),
                replayed.redoDoneAt(),
                replayed.lastTransaction(),
                replayed.timeline(),
                timing);
    }

    private static boolean wantsTarget(RestorePlan plan, RestoreRequest req) {
        return RestoreSteps.wantsTarget(plan.recoverySettings(req.action()));
    }

    /**
     * Record or Record-failure. Locally, a catalog that cannot be written (a read-only copy, say) costs the record, not
     * the restore: the outcome is logged instead. The state machine, which owns its table, fails on it.
     */
    private void record(ObjectNode state) {
        if (!recorded) {
            return;
        }
        try {
            RecordStep.run(repo.catalog(), state, clock);
        } catch (RuntimeException e) {
            log.println("could not record the restore's outcome ("
                    + state.path("outcome").asText() + ") in the catalog: " + e.getMessage());
            log.flush();
        }
    }

    /**
     * Follows replay about once a second for the progress, from the restored server's log ({@link
     * RecoveryLog#replayedUpTo}): no login, so no pg_hba.conf can stand in its way.
     */
    private Runnable replayProgress(RestoreRequest req, RestorePlan plan, Progress shown) {
        if (plan.segments().isEmpty()) {
            return () -> {};
        }
        long start = plan.snapshot().startLsn().value();
        long segmentSize = plan.segments().get(0).name().segmentSize();
        RecoveryLog serverLog =
                new RecoveryLog(req.targetDir().toAbsolutePath().normalize().resolve(RestoreSteps.RESTORE_LOG));
        long[] next = {0};
        return () -> {
            if (System.nanoTime() < next[0]) {
                return;
            }
            next[0] = System.nanoTime() + 1_000_000_000L;
            serverLog.refresh();
            serverLog.replayedUpTo(segmentSize).ifPresent(at -> shown.at(Math.max(0, at.value() - start)));
        };
    }
}
