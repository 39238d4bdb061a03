package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.time.Instant;

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

  /** Lifecycle of a snapshot in the catalog. */
  public enum Status {
    RUNNING,
    COMPLETE,
    FAILED
  }

  public SnapshotRecord withStatus(Status s) {
    return new SnapshotRecord(
        id, label, s, timeline, startLsn, stopLsn, startTime, stopTime, firstSegment, lastSegment, plainSize,
        storedSize, sha256, storageKey, keyId, backupManifest, retention);
  }
}
