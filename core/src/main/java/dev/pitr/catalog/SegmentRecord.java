package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import java.time.Instant;

/**
 * What the catalog knows about one archived WAL segment. {@code sha256} is over the plain (uncompressed, unencrypted)
 * bytes. The commit timestamps are null until the WAL records are indexed.
 */
public record SegmentRecord(
    SegmentName name,
    long plainSize,
    long storedSize,
    String sha256,
    String storageKey,
    String keyId,
    Instant archivedAt,
    Instant firstCommit,
    Instant lastCommit) {

  public Lsn startLsn() {
    return name.startLsn();
  }

  public Lsn endLsn() {
    return name.endLsn();
  }
}
