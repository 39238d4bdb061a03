package dev.pitr.retention;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What retention keeps and what it expires, with the reasons. {@code windowStart} is the earliest time the plan keeps
 * restorable on every timeline that could restore to it before (the minimum window's start, or later where the archive
 * never reached back that far, which {@code warnings} then says). The segments it expires are {@link Stretch}es, so that
 * the plan holds no listing of the archive; {@link #expiredSegments(Stretch, long, long)} reads their records.
 */
public final class RetentionPlan {

    /** One snapshot's fate: kept with every reason that keeps it, or expired with the reason. */
    public record SnapshotDecision(SnapshotRecord snapshot, boolean keep, List<String> reasons) {}

    /** Every archived segment of {@code timeline} from {@code first} to {@code last} expires. */
    public record Stretch(TimelineId timeline, long first, long last) {
        public long count() {
            return last - first + 1;
        }
    }

    private final Instant now;
    private final RetentionPolicy policy;
    private final List<SnapshotDecision> snapshots;
    private final List<Stretch> stretches;
    private final long keptSegments;
    private final Instant windowStart;
    private final List<String> warnings;
    private final long segmentSize;
    private final RestoreWindow.Segments source;

    RetentionPlan(
            Instant now,
            RetentionPolicy policy,
            List<SnapshotDecision> snapshots,
            List<Stretch> stretches,
            long keptSegments,
            Instant windowStart,
            List<String> warnings,
            long segmentSize,
            RestoreWindow.Segments source) {
        this.now = now;
        this.policy = policy;
        this.snapshots = List.copyOf(snapshots);
        this.stretches = List.copyOf(stretches);
        this.keptSegments = keptSegments;
        this.windowStart = windowStart;
        this.warnings = List.copyOf(warnings);
        this.segmentSize = segmentSize;
        this.source = source;
    }

    public Instant now() {
        return now;
    }

    public RetentionPolicy policy() {
        return policy;
    }

    public List<SnapshotDecision> snapshots() {
        return snapshots;
    }

    /** The segments retention expires, by timeline then segment number. */
    public List<Stretch> expiredStretches() {
        return stretches;
    }

    public long expiredCount() {
        return stretches.stream().mapToLong(Stretch::count).sum();
    }

    public long keptSegments() {
        return keptSegments;
    }

    public Instant windowStart() {
        return windowStart;
    }

    public List<String> warnings() {
        return warnings;
    }

    public long segmentSize() {
        return segmentSize;
    }

    /** The first segment retention expires, or null. */
    public SegmentName firstExpired() {
        return stretches.isEmpty()
                ? null
                : new SegmentName(stretches.get(0).timeline(), stretches.get(0).first(), segmentSize);
    }

    /** The last segment retention expires, or null. */
    public SegmentName lastExpired() {
        Stretch s = stretches.isEmpty() ? null : stretches.get(stretches.size() - 1);
        return s == null ? null : new SegmentName(s.timeline(), s.last(), segmentSize);
    }

    /** The records of the segments of {@code s} numbered {@code from} to {@code to}, read from the catalog. */
    public List<SegmentRecord> expiredSegments(Stretch s, long from, long to) {
        return source.read(s.timeline(), Math.max(from, s.first()), Math.min(to, s.last()));
    }

    /** The records of every segment retention expires, read from the catalog: for small archives and tests. */
    public List<SegmentRecord> expiredSegments() {
        List<SegmentRecord> out = new ArrayList<>();
        stretches.forEach(s -> out.addAll(source.read(s.timeline(), s.first(), s.last())));
        return out;
    }

    public List<SnapshotRecord> expiredSnapshots() {
        return snapshots.stream()
                .filter(d -> !d.keep())
                .map(SnapshotDecision::snapshot)
                .toList();
    }

    public List<SnapshotRecord> keptSnapshots() {
        return snapshots.stream()
                .filter(SnapshotDecision::keep)
                .map(SnapshotDecision::snapshot)
                .toList();
    }
}
