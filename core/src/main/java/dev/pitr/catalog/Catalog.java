package dev.pitr.catalog;

import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The index of everything archived: segments, timeline histories and snapshots.
 *
 * <p>Contract every implementation meets (checked by {@code CatalogContractTest}):
 *
 * <ul>
 *   <li>{@link #recordSegment} and {@link #recordHistory} are idempotent: recording the same file again with the same
 *       checksum returns {@link Recorded#ALREADY_PRESENT}; a different checksum for the same name throws {@link
 *       ArchiveConflictException} and leaves the existing record untouched.
 *   <li>{@link #createSnapshot} fails with {@link ArchiveConflictException} if the id exists; {@link #updateSnapshot}
 *       fails with {@link IllegalStateException} if it does not.
 *   <li>Listings are ordered: segments by timeline then segment number, snapshots by id (start time).
 *   <li>{@link #acquireShippingLease} succeeds when no one holds the lease, when it expired, or when the same owner
 *       holds it; otherwise it throws {@link LeaseHeldException} naming the holder. Tokens only grow.
 *   <li>Retention marks before it removes: {@link #expireSegment} takes a segment out of every segment lookup and
 *       listing at once (recording the same file again then returns {@link Recorded#ALREADY_PRESENT} or conflicts, and
 *       never brings it back); {@link #segmentRemoved} and {@link #forgetSegment} refuse a segment that is not
 *       expired, and not yet removed, respectively, with {@link IllegalStateException}. Snapshots go the same way
 *       through {@link SnapshotRecord.Status#EXPIRED} and {@link SnapshotRecord.Status#REMOVED}, and {@link
 *       #forgetSnapshot} refuses any other status.
 *   <li>Unreachable backends throw {@link CatalogException}; a write whose outcome is unknown (a timeout) throws one
 *       with {@code CATALOG_OUTCOME_UNKNOWN}, and is safe to repeat.
 * </ul>
 */
public interface Catalog extends AutoCloseable {

    /** Outcome of an idempotent write. */
    enum Recorded {
        INSERTED,
        ALREADY_PRESENT
    }

    Recorded recordSegment(SegmentRecord segment);

    /**
     * Records each segment as {@link #recordSegment} does, in order, with the outcome of each; a catalog may do it in
     * fewer writes. A failure stops it: the segments before the one that failed may or may not be recorded, and
     * recording them again is safe.
     */
    default List<Recorded> recordSegments(List<SegmentRecord> segments) {
        List<Recorded> out = new ArrayList<>(segments.size());
        for (SegmentRecord s : segments) {
            out.add(recordSegment(s));
        }
        return out;
    }

    Optional<SegmentRecord> segment(WalFileName fileName);

    /**
     * Records that segment {@code fileName}'s data key is now wrapped by {@code keyId} (after a key rotation); nothing
     * else of the record changes. Throws {@link IllegalStateException} if the segment is not recorded.
     */
    void recordSegmentKeyId(WalFileName fileName, String keyId);

    /** Segments on {@code timeline} with {@code fromSegno <= segno <= toSegno}. */
    List<SegmentRecord> segments(TimelineId timeline, long fromSegno, long toSegno);

    List<SegmentRecord> allSegments();

    /**
     * The summaries of the segments ({@link SegmentBlock}), by timeline then block: what the restore window and status
     * read instead of every segment. A catalog that keeps them returns them consistent, summing up again from its
     * segment records any block whose summary does not add up; this default sums every block up from every record.
     */
    default List<SegmentBlock> segmentBlocks() {
        return SegmentBlocks.of(allSegments(), expiredSegments(), SegmentBlocks.cuts(histories(), snapshots()));
    }

    /**
     * Sums block {@code number} of {@code timeline} up again from its segment records, keeps it, and returns it: for a
     * summary a reader found wrong. This default computes it.
     */
    default SegmentBlock repairSegmentBlock(TimelineId timeline, long number) {
        return segmentBlocks().stream()
                .filter(b -> b.timeline().equals(timeline) && b.number() == number)
                .findFirst()
                .orElse(SegmentBlock.empty(timeline, number));
    }

    /** Sums every block up again from the segment records ({@code catalog rebuild}); a catalog that keeps none has none. */
    default void rebuildSegmentBlocks() {}

    /** Takes the segment out of the restorable archive; idempotent, the first time counts. */
    void expireSegment(WalFileName fileName, Instant at);

    /** Expires each segment as {@link #expireSegment} does; a catalog may do it in fewer writes. */
    default void expireSegments(List<WalFileName> fileNames, Instant at) {
        fileNames.forEach(f -> expireSegment(f, at));
    }

    /** Notes that the expired segment's objects were handed to storage for removal; idempotent. */
    void segmentRemoved(WalFileName fileName, Instant at);

    /** Every expired segment, removed or not, by timeline then segment number. */
    List<ExpiredSegment> expiredSegments();

    /**
     * The expired segments, removed or not, from {@code from} to {@code to} (segments of one timeline, inclusive), in
     * order.
     */
    default List<ExpiredSegment> expiredSegments(WalFileName from, WalFileName to) {
        return expiredSegments().stream()
                .filter(e -> e.fileName().compareTo(from) >= 0 && e.fileName().compareTo(to) <= 0)
                .toList();
    }

    /** Notes each segment removed as {@link #segmentRemoved} does; a catalog may do it in fewer writes. */
    default void segmentsRemoved(List<WalFileName> fileNames, Instant at) {
        fileNames.forEach(f -> segmentRemoved(f, at));
    }

    /** Drops the record of a removed segment. */
    void forgetSegment(WalFileName fileName);

    /**
     * Records how far capture has shipped a segment still being written. The record for a segment only grows: one with
     * no more bytes than the record held is not applied and returns {@link Recorded#ALREADY_PRESENT}. Partials appear in
     * no segment lookup or listing; {@link #recordSegment} of the complete segment leaves them to {@link #forgetPartial}.
     */
    Recorded recordPartial(PartialSegment partial);

    Optional<PartialSegment> partial(WalFileName fileName);

    /** Every partial segment, by timeline then segment number. */
    List<PartialSegment> partials();

    /** Drops the record of a partial segment (once its complete segment is recorded); idempotent. */
    void forgetPartial(WalFileName fileName);

    Recorded recordHistory(HistoryRecord history);

    Optional<HistoryRecord> history(TimelineId timeline);

    List<HistoryRecord> histories();

    void createSnapshot(SnapshotRecord snapshot);

    void updateSnapshot(SnapshotRecord snapshot);

    Optional<SnapshotRecord> snapshot(SnapshotId id);

    /** Drops the record of a snapshot whose objects were removed. */
    void forgetSnapshot(SnapshotId id);

    List<SnapshotRecord> snapshots();

    /** Records (or replaces, by id) the outcome of a restore. */
    void recordRestore(RestoreRecord restore);

    /** Every recorded restore, by id. */
    List<RestoreRecord> restores();

    /** The restore recorded under {@code id}, if any: one read, however many restores are recorded. */
    Optional<RestoreRecord> restore(String id);

    /** The restore recorded last (by {@code recordedAt}): one read, however many restores are recorded. */
    Optional<RestoreRecord> latestRestore();

    /** Records (or replaces, by id) a restore drill. */
    void recordDrill(DrillRecord drill);

    /**
     * The drill that finished last (by {@code finishedAt}), or with {@code passedOnly} the last that passed: one read,
     * however many drills are recorded.
     */
    Optional<DrillRecord> latestDrill(boolean passedOnly);

    /** The drill recorded under {@code id}, if any: one read, however many drills are recorded. */
    Optional<DrillRecord> drill(String id);

    /**
     * Claims the run of scheduled {@code job} due at {@code slot} for {@code owner}: true for the first claim of that slot
     * and for the same owner asking again, false once another owner has it. Schedulers on several hosts claim before they
     * run, so each slot runs once.
     */
    boolean claimRun(String job, Instant slot, String owner);

    /**
     * A setting of the whole cluster that every host and function shares ({@code retention_policy}), if one was
     * recorded.
     */
    Optional<String> clusterSetting(String name);

    /** Records a cluster setting, replacing what was there; reading it again gives {@code value}. */
    void putClusterSetting(String name, String value);

    /**
     * Where another process on this host opens this catalog, for a catalog kept in a file here: the file itself when
     * {@code copyDir} is null, else a consistent copy written into {@code copyDir} (a directory only its owner may
     * enter) for a process that runs as another OS user. Empty for a catalog that is a service.
     */
    default Optional<Path> fileForReader(Path copyDir) {
        return Optional.empty();
    }

    /**
     * This catalog for reads that only display (status, the dashboard): a service may answer its listings from cheaper,
     * eventually consistent reads that trail a write by a moment. Nothing that writes or plans uses it.
     */
    default Catalog forDisplay() {
        return this;
    }

    /** Takes the shipping lease for this cluster as {@code owner} for {@code ttl}. */
    ShippingLease acquireShippingLease(String owner, Duration ttl);

    /** A short description for messages. */
    String describe();

    @Override
    void close();
}
