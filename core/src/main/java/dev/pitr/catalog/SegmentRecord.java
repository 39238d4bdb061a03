package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import java.time.Instant;

/**
 * What the catalog knows about one archived WAL segment. {@code checksum} is over the plain (uncompressed, unencrypted)
 * bytes, in a form {@link dev.pitr.codec.Checksum} reads (the catalogs store it under the name {@code sha256}, which
 * it was before CRC-32C). {@code index} is what its WAL records say about time; null for a segment recorded without one (rebuilt from
 * an object that predates the index).
 */
public record SegmentRecord(
        SegmentName name,
        long plainSize,
        long storedSize,
        String checksum,
        String storageKey,
        String keyId,
        Instant archivedAt,
        SegmentIndex index) {

    public Lsn startLsn() {
        return name.startLsn();
    }

    /** The end of the WAL this record holds: the segment's end, or for a {@link #partial()} one the end shipped. */
    public Lsn endLsn() {
        return partial() ? new Lsn(name.startLsn().value() + plainSize) : name.endLsn();
    }

    /**
     * True for a segment still being written, shipped up to {@link #plainSize()} bytes ({@link PartialSegment#asSegment}).
     * Archived complete segments always hold the whole segment.
     */
    public boolean partial() {
        return plainSize < name.segmentSize();
    }

    /** The record as the catalogs store it, its archive time to the microsecond: what a summary of it must hold. */
    public SegmentRecord asStored() {
        return new SegmentRecord(
                name,
                plainSize,
                storedSize,
                checksum,
                storageKey,
                keyId,
                archivedAt.truncatedTo(java.time.temporal.ChronoUnit.MICROS),
                index);
    }

    public SegmentRecord withKeyId(String newKeyId) {
        return new SegmentRecord(name, plainSize, storedSize, checksum, storageKey, newKeyId, archivedAt, index);
    }
}
