package dev.pitr.catalog;

import java.time.Instant;

/**
 * The outcome of one restore, as its last step records it: {@code outcome} is {@code restored} or {@code failed};
 * a failure keeps the error name and cause the state machine ended with. {@code id} is the execution's name (or a
 * local run's id), so recording the same restore again replaces its record.
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
        String cause) {}
