package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.time.Instant;
import java.util.Optional;

/**
 * A base backup, and where its {@code backup_manifest} is stored ({@link BackupManifest}; null for snapshots taken
 * before it was stored on its own). It becomes {@link Status#COMPLETE} only once the WAL from {@code firstSegment} to
 * {@code lastSegment} is archived, because without it the backup cannot reach consistency. {@code lineage} says
 * whether it is a full or an incremental on a parent ({@link SnapshotLineage}).
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
        WalFileName firstSegment,
        WalFileName lastSegment,
        long plainSize,
        long storedSize,
        String sha256,
        String storageKey,
        String keyId,
        BackupManifest backupManifest,
        RetentionState retention,
        SnapshotLineage lineage) {

    public SnapshotRecord {
        retention = retention == null ? RetentionState.RETAINED : retention;
        lineage = lineage == null ? SnapshotLineage.FULL : lineage;
    }

    /** A full snapshot. */
    public SnapshotRecord(
            SnapshotId id,
            String label,
            Status status,
            TimelineId timeline,
            Lsn startLsn,
            Lsn stopLsn,
            Instant startTime,
            Instant stopTime,
            WalFileName firstSegment,
            WalFileName lastSegment,
            long plainSize,
            long storedSize,
            String sha256,
            String storageKey,
            String keyId,
            BackupManifest backupManifest,
            RetentionState retention) {
        this(
                id,
                label,
                status,
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
                retention,
                SnapshotLineage.FULL);
    }

    /**
     * Lifecycle of a snapshot in the catalog. Retention moves a snapshot to {@code EXPIRED} (no longer restorable; its
     * objects are still stored) and then, after the grace period, to {@code REMOVED} (its objects handed to storage for
     * removal); for both, {@code retention} is {@link RetentionState.Expired}, with the instant it expired.
     */
    public enum Status {
        RUNNING,
        COMPLETE,
        FAILED,
        EXPIRED,
        REMOVED
    }

    public boolean pinned() {
        return retention instanceof RetentionState.Pinned;
    }

    /** When retention expired it, for an {@code EXPIRED} or {@code REMOVED} snapshot. */
    public Optional<Instant> expiredAt() {
        return (status == Status.EXPIRED || status == Status.REMOVED)
                        && retention instanceof RetentionState.Expired expired
                ? Optional.of(expired.at())
                : Optional.empty();
    }

    public SnapshotRecord withRetention(Status s, RetentionState r) {
        return with(s, r, lineage);
    }

    public SnapshotRecord withStatus(Status s) {
        return with(s, retention, lineage);
    }

    public SnapshotRecord withLineage(SnapshotLineage l) {
        return with(status, retention, l);
    }

    private SnapshotRecord with(Status s, RetentionState r, SnapshotLineage l) {
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
                r,
                l);
    }
}
