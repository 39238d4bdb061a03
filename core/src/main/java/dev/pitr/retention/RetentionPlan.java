package dev.pitr.retention;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import java.time.Instant;
import java.util.List;

/**
 * What retention keeps and what it expires, with the reasons. {@code windowStart} is the earliest time the plan keeps
 * restorable on every timeline that could restore to it before (the minimum window's start, or later where the archive
 * never reached back that far, which {@code warnings} then says).
 */
public record RetentionPlan(
        Instant now,
        RetentionPolicy policy,
        List<SnapshotDecision> snapshots,
        List<SegmentRecord> expiredSegments,
        int keptSegments,
        Instant windowStart,
        List<String> warnings) {

    /** One snapshot's fate: kept with every reason that keeps it, or expired with the reason. */
    public record SnapshotDecision(SnapshotRecord snapshot, boolean keep, List<String> reasons) {}

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
