package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.time.Instant;
import java.util.Optional;

/**
 * A base backup and its manifest. It becomes {@link Status#COMPLETE} only once the WAL from {@code firstSegment} to
 * {@code lastSegment} is archived, because without it the backup cannot reach consistency.
 */
public record SnapshotRecord(
        SnapshotId id,
        String label,
        Status status,
        TimelineId timeline,
        Lsn startLsn,
        Lsn stopLsn,
        Instant startTime,
        Instant stopTime,
        String firstSegment,
        String lastSegment,
        long plainSize,
        long storedSize,
        String sha256,
        String storageKey,
        String keyId,
        String backupManifest,
        String retention) {

    /** What {@code retention} holds for a snapshot kept however old it gets. */
    public static final String PINNED = "pinned";

    /** What {@code retention} holds for a snapshot the retention policy decides on. */
    public static final String RETAINED = "retained";

    /**
     * Lifecycle of a snapshot in the catalog. Retention moves a snapshot to {@code EXPIRED} (no longer restorable; its
     * objects are still stored) and then, after the grace period, to {@code REMOVED} (its objects handed to storage for
     * removal); for both, {@code retention} holds the instant it expired.
     */
    public enum Status {
        RUNNING,
        COMPLETE,
        FAILED,
        EXPIRED,
        REMOVED
    }

    public boolean pinned() {
        return PINNED.equals(retention);
    }

    /** When retention expired it, for an {@code EXPIRED} or {@code REMOVED} snapshot. */
    public Optional<Instant> expiredAt() {
        return (status == Status.EXPIRED || status == Status.REMOVED) && retention != null
                ? Optional.of(Instant.parse(retention))
                : Optional.empty();
    }

    public SnapshotRecord withRetention(Status s, String r) {
        return new SnapshotRecord(
                id,
                label,
                s,
                timeline,
                startLsn,
                stopLsn,
                startTime,
                stopTime,
                firstSegment,
                lastSegment,
                plainSize,
                storedSize,
                sha256,
                storageKey,
                keyId,
                backupManifest,
                r);
    }

    public SnapshotRecord withStatus(Status s) {
        return new SnapshotRecord(
                id,
                label,
                s,
                timeline,
                startLsn,
                stopLsn,
                startTime,
                stopTime,
                firstSegment,
                lastSegment,
                plainSize,
                storedSize,
                sha256,
                storageKey,
                keyId,
                backupManifest,
                retention);
    }
}
