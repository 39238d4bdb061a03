package dev.pitr.catalog;

import java.time.Instant;

/**
 * The outcome of one restore, as its last step records it: {@code outcome} is {@code restored} or {@code failed}
 * (while the agent works, {@code laying-down} or {@code replaying}); a failure keeps the error name and cause the
 * state machine ended with. {@code id} is the execution's name (or a local run's id), so recording the same restore
 * again replaces its record. {@code timing} is what the restore measured of itself, when it did (a local restore).
 */
public record RestoreRecord(
        String id,
        Instant recordedAt,
        String outcome,
        String target,
        String snapshotId,
        Long timeline,
        String stoppedAt,
        String error,
        String cause,
        RecoveryTiming timing) {

    /** A record without a timing. */
    public RestoreRecord(
            String id,
            Instant recordedAt,
            String outcome,
            String target,
            String snapshotId,
            Long timeline,
            String stoppedAt,
            String error,
            String cause) {
        this(id, recordedAt, outcome, target, snapshotId, timeline, stoppedAt, error, cause, null);
    }
}
