package dev.pitr.catalog;

import dev.pitr.wal.WalFileName;
import java.time.Instant;

/**
 * A segment retention took out of the restorable archive at {@code expiredAt}; {@code removedAt} is when its objects
 * were handed to storage for removal, null until then.
 */
public record ExpiredSegment(WalFileName fileName, String storageKey, Instant expiredAt, Instant removedAt) {}
