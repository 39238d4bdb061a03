package dev.pitr.backup;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.SnapshotRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Takes scheduled snapshots. Each {@link #tick} looks at the latest due time; if no snapshot started since then and
 * this scheduler wins the catalog's claim on that time, it takes one. After any outage that is one snapshot for the
 * latest missed time, not one per missed time; several schedulers for one cluster claim the same times, so each time
 * gets one snapshot between them.
 */
public final class SnapshotScheduler {

  /** Takes one snapshot; a failure is reported by throwing. */
  public interface Taker {
    void take(String label);
  }

  public static final String JOB = "snapshot";

  private final SnapshotSchedule schedule;
  private final Catalog catalog;
  private final Taker taker;
  private final String owner;
  private final Clock clock;
  private final Consumer<String> log;
  private Instant handled;

  public SnapshotScheduler(SnapshotSchedule schedule, Catalog catalog, Taker taker, String owner, Clock clock,
      Consumer<String> log) {
    this.schedule = schedule;
    this.catalog = catalog;
    this.taker = taker;
    this.owner = owner;
    this.clock = clock;
    this.log = log;
  }

  /** Takes the due snapshot if there is one; true if this call took it. */
  public boolean tick() {
    Optional<Instant> due = schedule.lastDue(clock.instant());
    if (due.isEmpty() || due.get().equals(handled)) {
      return false;
    }
    Instant slot = due.get();
    handled = slot;
    boolean covered = catalog.snapshots().stream()
        .filter(s -> s.status() == SnapshotRecord.Status.COMPLETE || s.status() == SnapshotRecord.Status.RUNNING)
        .anyMatch(s -> !s.startTime().isBefore(slot));
    if (covered || !catalog.claimRun(JOB, slot, owner)) {
      return false;
    }
    log.accept("scheduled snapshot for " + slot + " (" + schedule + ")");
    try {
      taker.take("scheduled " + slot);
      return true;
    } catch (RuntimeException e) {
      log.accept("scheduled snapshot for " + slot + " failed: " + e.getMessage() + "; the next is due "
          + schedule.next(clock.instant()).map(Instant::toString).orElse("never"));
      return false;
    }
  }

  /** When the next snapshot is due. */
  public Optional<Instant> nextDue() {
    return schedule.next(clock.instant());
  }
}
