package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import java.time.Instant;

/**
 * What the catalog knows about one archived WAL segment. {@code sha256} is over the plain (uncompressed, unencrypted)
 * bytes. {@code index} is what its WAL records say about time; null for a segment recorded without one (rebuilt from
 * an object that predates the index).
 */
public record SegmentRecord(
    SegmentName name,
    long plainSize,
    long storedSize,
    String sha256,
    String storageKey,
    String keyId,
    Instant archivedAt,
    SegmentIndex index) {

  public Lsn startLsn() {
    return name.startLsn();
  }

  public Lsn endLsn() {
    return name.endLsn();
  }

  public SegmentRecord withKeyId(String newKeyId) {
    return new SegmentRecord(name, plainSize, storedSize, sha256, storageKey, newKeyId, archivedAt, index);
  }
}
