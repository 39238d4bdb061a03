package dev.pitr.retention;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.ExpiredSegment;
import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SegmentBlock;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SnapshotRecord.Status;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.storage.Storage;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.WalFileName;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Applies a {@link RetentionPolicy} in three steps, each safe to interrupt and to repeat:
 *
 * <ol>
 *   <li>mark: the plan's snapshots become {@code EXPIRED} and its segments expired in the catalog, so nothing after
 *       this calls them restorable;
 *   <li>remove: once an item has been expired for the grace period, its objects (and their key envelopes) are handed
 *       to {@link Storage#expire}, and then the catalog records it as removed;
 *   <li>forget: records of removed items that no window can show any more are dropped.
 * </ol>
 *
 * A crash at any point leaves every record the catalog calls restorable with its objects in place; the next run
 * finishes what was started.
 */
public final class Retention {

    /** What a run did (or, dry, would do now). */
    public record Report(
            RetentionPlan plan,
            boolean dryRun,
            int snapshotsExpired,
            int segmentsExpired,
            int snapshotsRemoved,
            int segmentsRemoved,
            int recordsForgotten,
            int awaitingGrace,
            List<String> removed) {

        /** The report as plain maps and lists, for JSON: what {@code --json} prints and the retention function returns. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dryRun", dryRun);
            m.put("at", plan.now().toString());
            m.put("policy", plan.policy().describe());
            m.put(
                    "windowStart",
                    plan.windowStart() == null ? null : plan.windowStart().toString());
            List<Map<String, Object>> snaps = new ArrayList<>();
            for (RetentionPlan.SnapshotDecision d : plan.snapshots()) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("id", d.snapshot().id().value());
                x.put("status", d.snapshot().status().name().toLowerCase(Locale.ROOT));
                x.put("action", d.keep() ? "keep" : "expire");
                x.put("reasons", d.reasons());
                snaps.add(x);
            }
            m.put("snapshots", snaps);
            Map<String, Object> wal = new LinkedHashMap<>();
            wal.put("kept", plan.keptSegments());
            wal.put("expired", plan.expiredCount());
            if (plan.firstExpired() != null) {
                wal.put("firstExpired", plan.firstExpired().fileName());
                wal.put("lastExpired", plan.lastExpired().fileName());
            }
            m.put("segments", wal);
            m.put("snapshotsRemoved", snapshotsRemoved);
            m.put("segmentsRemoved", segmentsRemoved);
            m.put("recordsForgotten", recordsForgotten);
            m.put("awaitingGrace", awaitingGrace);
            m.put("warnings", plan.warnings());
            return m;
        }
    }

    /** Segments expired in one catalog write. */
    private static final int BATCH = 1000;

    private final Catalog catalog;
    private final Storage storage;
    private final RetentionPolicy policy;
    private final Clock clock;
    private final Consumer<String> log;

    public Retention(Catalog catalog, Storage storage, RetentionPolicy policy, Clock clock, Consumer<String> log) {
        this.catalog = catalog;
        this.storage = storage;
        this.policy = policy;
        this.clock = clock;
        this.log = log;
    }

    /** Plans only: what the policy keeps and expires now, with the reasons. */
    public RetentionPlan plan() {
        return RetentionPlanner.plan(catalog, clock.instant(), policy);
    }

    public Report apply(boolean dryRun) {
        RetentionPlan plan = plan();
        Instant now = plan.now();
        if (dryRun) {
            int awaiting = Math.toIntExact(plan.expiredSnapshots().size() + plan.expiredCount());
            return new Report(
                    plan,
                    true,
                    plan.expiredSnapshots().size(),
                    Math.toIntExact(plan.expiredCount()),
                    0,
                    0,
                    0,
                    awaiting,
                    List.of());
        }
        for (SnapshotRecord s : plan.expiredSnapshots()) {
            catalog.updateSnapshot(s.withRetention(Status.EXPIRED, new RetentionState.Expired(now)));
            log.accept("snapshot " + s.id() + " expired (" + String.join(", ", reasonsFor(plan, s)) + ")");
        }
        // a batch at a time, so that neither the plan nor this run holds the listing of what expires
        for (RetentionPlan.Stretch x : plan.expiredStretches()) {
            for (long from = x.first(); from <= x.last(); from += BATCH) {
                long to = Math.min(x.last(), from + BATCH - 1);
                List<WalFileName> names = plan.expiredSegments(x, from, to).stream()
                        .map(r -> r.name().walFileName())
                        .toList();
                catalog.expireSegments(names, now);
                if (names.size() < to - from + 1) {
                    // the summary holds segments the records no longer do (an expiry its summary missed): repair it
                    long size = plan.segmentSize();
                    for (long b = (from * size) >>> SegmentBlock.BLOCK_SHIFT;
                            b <= (to * size) >>> SegmentBlock.BLOCK_SHIFT;
                            b++) {
                        catalog.repairSegmentBlock(x.timeline(), b);
                    }
                }
            }
        }
        if (plan.firstExpired() != null) {
            log.accept(plan.expiredCount() + " segments expired, from " + plan.firstExpired() + " to "
                    + plan.lastExpired());
        }

        Instant due = now.minus(policy.grace());
        List<String> removed = new ArrayList<>();
        int snapshotsRemoved = 0;
        int segmentsRemoved = 0;
        int awaiting = 0;
        int forgotten = 0;
        for (SnapshotRecord s : catalog.snapshots()) {
            if (s.status() == Status.EXPIRED) {
                if (s.expiredAt().orElseThrow().isAfter(due)) {
                    awaiting++;
                    continue;
                }
                String dir = s.storageKey().substring(0, s.storageKey().lastIndexOf('/') + 1);
                TreeSet<String> keys = new TreeSet<>(storage.list(dir));
                keys.add(s.storageKey());
                keys.forEach(this::expireObject);
                s = s.withRetention(Status.REMOVED, s.retention());
                catalog.updateSnapshot(s);
                removed.add("snapshot " + s.id());
                snapshotsRemoved++;
            }
            if (s.status() == Status.REMOVED) {
                catalog.forgetSnapshot(s.id());
                forgotten++;
            }
        }
        // the expired segments a page at a time, only in blocks where some are due
        for (SegmentBlock b : catalog.segmentBlocks()) {
            if (b.awaitingCount() == 0) {
                continue;
            }
            if (b.firstAwaiting().isAfter(due)) {
                awaiting += Math.toIntExact(b.awaitingCount());
                continue;
            }
            for (SegmentBlock.Span span : b.expired()) {
                for (long from = span.first(); from <= span.last(); from += BATCH) {
                    List<WalFileName> done = new ArrayList<>();
                    for (ExpiredSegment e :
                            catalog.expiredSegments(name(b, from), name(b, Math.min(span.last(), from + BATCH - 1)))) {
                        if (e.removedAt() == null && !e.expiredAt().isAfter(due)) {
                            expireObject(e.storageKey());
                            done.add(e.fileName());
                        } else if (e.removedAt() == null) {
                            awaiting++;
                        }
                    }
                    if (!done.isEmpty()) {
                        catalog.segmentsRemoved(done, now);
                        removed.add(
                                done.size() == 1
                                        ? "segment " + done.get(0)
                                        : done.size() + " segments from " + done.get(0) + " to "
                                                + done.get(done.size() - 1));
                        segmentsRemoved += done.size();
                    }
                }
            }
        }
        forgotten += forgetUnseen();
        if (snapshotsRemoved + segmentsRemoved > 0) {
            log.accept("handed to storage for removal: " + snapshotsRemoved + " snapshots, " + segmentsRemoved
                    + " segments" + " (expired at least " + RetentionPolicy.human(policy.grace()) + " ago)");
        }
        return new Report(
                plan,
                false,
                plan.expiredSnapshots().size(),
                Math.toIntExact(plan.expiredCount()),
                snapshotsRemoved,
                segmentsRemoved,
                forgotten,
                awaiting,
                removed);
    }

    /**
     * Drops removed segments older than every snapshot left: no window starts before a snapshot, so none could show them
     * as expired. Younger ones stay, so a window can tell a stretch retention expired from WAL that never arrived.
     */
    private int forgetUnseen() {
        String oldest = null;
        for (SnapshotRecord s : catalog.snapshots()) {
            if (s.firstSegment() != null && (s.status() == Status.COMPLETE || s.status() == Status.RUNNING)) {
                String position = position(s.firstSegment());
                oldest = oldest == null || position.compareTo(oldest) < 0 ? position : oldest;
            }
        }
        if (oldest == null) {
            return 0;
        }
        int n = 0;
        for (SegmentBlock b : catalog.segmentBlocks()) {
            for (SegmentBlock.Span span : b.expired()) {
                if (position(name(b, span.first())).compareTo(oldest) >= 0) {
                    continue;
                }
                for (long from = span.first(); from <= span.last(); from += BATCH) {
                    for (ExpiredSegment e :
                            catalog.expiredSegments(name(b, from), name(b, Math.min(span.last(), from + BATCH - 1)))) {
                        if (e.removedAt() != null && position(e.fileName()).compareTo(oldest) < 0) {
                            catalog.forgetSegment(e.fileName());
                            n++;
                        }
                    }
                }
            }
        }
        return n;
    }

    private static WalFileName name(SegmentBlock b, long segno) {
        return new SegmentName(b.timeline(), segno, b.segmentSize()).walFileName();
    }

    /** The segment's place in the WAL whatever its timeline: the log and segment digits, which sort as LSNs do. */
    private static String position(WalFileName segment) {
        return segment.text().substring(8);
    }

    private void expireObject(String key) {
        storage.expire(key);
        storage.expire(ObjectCodec.envelopeKey(key));
    }

    private static List<String> reasonsFor(RetentionPlan plan, SnapshotRecord s) {
        return plan.snapshots().stream()
                .filter(d -> d.snapshot().id().equals(s.id()))
                .findFirst()
                .orElseThrow()
                .reasons();
    }
}
