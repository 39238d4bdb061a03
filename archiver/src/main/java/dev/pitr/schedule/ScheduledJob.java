package dev.pitr.schedule;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.status.RecoveryTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A job run on a {@link CronSchedule}. Each {@link #tick} looks at the latest due time; unless the job is already
 * done for it ({@code done}, e.g. a snapshot started since then) or another scheduler won the catalog's claim on it,
 * it runs the job. After any outage that is one run for the latest missed time, not one per missed time; several
 * schedulers for one cluster claim the same times, so each time runs once between them.
 */
public final class ScheduledJob {

    /** The work; a failure is reported by throwing. */
    public interface Action {
        void run(Instant due);
    }

    private final String job;
    private final CronSchedule schedule;
    private final Catalog catalog;
    private final Predicate<Instant> done;
    private final Action action;
    private final String owner;
    private final Clock clock;
    private final Consumer<String> log;
    private Instant handled;
    private java.util.function.UnaryOperator<Instant> claimed = due -> due;
    private java.util.function.Supplier<Optional<String>> refusal = Optional::empty;

    public ScheduledJob(
            String job,
            CronSchedule schedule,
            Catalog catalog,
            Predicate<Instant> done,
            Action action,
            String owner,
            Clock clock,
            Consumer<String> log) {
        this.job = job;
        this.schedule = schedule;
        this.catalog = catalog;
        this.done = done;
        this.action = action;
        this.owner = owner;
        this.clock = clock;
        this.log = log;
    }

    /**
     * The same job claiming {@code claim(due)} instead of the due time, so that runners on other schedules (the
     * retention function's) claim the same slot.
     */
    public ScheduledJob claimingSlot(java.util.function.UnaryOperator<Instant> claim) {
        this.claimed = claim;
        return this;
    }

    /**
     * The same job asking {@code refuses} before it claims a slot: a reason (this runner may not run it now, such as a
     * retention policy that is not the cluster's) leaves the slot to another runner and is said.
     */
    public ScheduledJob unless(java.util.function.Supplier<Optional<String>> refuses) {
        this.refusal = refuses;
        return this;
    }

    /** Scheduled snapshots: done for a due time once a snapshot (running or complete) started at or after it. */
    public static ScheduledJob snapshots(
            CronSchedule schedule, Catalog catalog, Action take, String owner, Clock clock, Consumer<String> log) {
        Predicate<Instant> done = due -> catalog.snapshots().stream()
                .filter(s ->
                        s.status() == SnapshotRecord.Status.COMPLETE || s.status() == SnapshotRecord.Status.RUNNING)
                .anyMatch(s -> !s.startTime().isBefore(due));
        return new ScheduledJob("snapshot", schedule, catalog, done, take, owner, clock, log);
    }

    /**
     * Snapshots by recovery time: checked once a minute, due when a restore to the latest point would take longer than
     * {@code max} ({@link RecoveryTime#now}) and no snapshot is being taken. Claimed like any job, so two runners on
     * one cluster take one snapshot between them.
     */
    public static ScheduledJob byRecoveryTime(
            Duration max, Catalog catalog, Action take, String owner, Clock clock, Consumer<String> log) {
        // one failed lately waits: a failing snapshot is not retried every minute
        Duration backOff =
                max.dividedBy(2).compareTo(Duration.ofMinutes(5)) < 0 ? Duration.ofMinutes(5) : max.dividedBy(2);
        Predicate<Instant> done = due -> catalog.snapshots().stream()
                        // one being taken (a record left RUNNING by a killed process a day ago does not count)
                        .anyMatch(s -> (s.status() == SnapshotRecord.Status.RUNNING
                                        && s.startTime().isAfter(due.minus(Duration.ofDays(1))))
                                || (s.status() == SnapshotRecord.Status.FAILED
                                        && s.startTime().isAfter(due.minus(backOff))))
                || RecoveryTime.now(catalog).map(t -> !worthASnapshot(t, max)).orElse(true);
        return new ScheduledJob(
                "snapshot-by-recovery-time",
                CronSchedule.parse("* * * * *", java.time.ZoneOffset.UTC),
                catalog,
                done,
                due -> {
                    RecoveryTime.now(catalog)
                            .ifPresent(t -> log.accept("a restore to the latest point would take about "
                                    + t.total().toSeconds() + " s, more than snapshot.max_recovery_time ("
                                    + max.toSeconds() + " s): taking a snapshot"));
                    take.run(due);
                },
                owner,
                clock,
                log);
    }

    /**
     * True when a snapshot now would bring the recovery time under {@code max}, and is worth its cost: the time is
     * over, the replay a new snapshot saves is at least a tenth of {@code max}, and the time right after a snapshot
     * like the newest (its lay-down, what a restore spends beside, the WAL written while it was taken), which no new
     * snapshot shortens, is under it (status warns about that instead). Without the last two, a database near the
     * bound would get a snapshot every minute.
     */
    static boolean worthASnapshot(RecoveryTime t, Duration max) {
        return t.total().compareTo(max) > 0
                && t.afterASnapshot().compareTo(max) < 0
                && t.replay().compareTo(max.dividedBy(10)) >= 0;
    }

    /** Runs the job if it is due; true if this call ran it (successfully). */
    public boolean tick() {
        Optional<Instant> due = schedule.lastDue(clock.instant());
        if (due.isEmpty() || due.get().equals(handled)) {
            return false;
        }
        Instant slot = due.get();
        handled = slot;
        if (done.test(slot)) {
            return false;
        }
        Optional<String> refused = refusal.get();
        if (refused.isPresent()) {
            log.accept("scheduled " + job + " for " + slot + " not run here: " + refused.get());
            return false;
        }
        if (!catalog.claimRun(job, claimed.apply(slot), owner)) {
            return false;
        }
        log.accept("scheduled " + job + " for " + slot + " (" + schedule + ")");
        try {
            action.run(slot);
            return true;
        } catch (RuntimeException e) {
            log.accept("scheduled " + job + " for " + slot + " failed: " + e.getMessage() + "; the next is due "
                    + nextDue().map(Instant::toString).orElse("never"));
            return false;
        }
    }

    /** When the job is next due. */
    public Optional<Instant> nextDue() {
        return schedule.next(clock.instant());
    }
}
