package dev.pitr.status;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentBlock;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.Primary;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.retention.ClusterRetention;
import dev.pitr.retention.RetentionPlan;
import dev.pitr.retention.RetentionPlanner;
import dev.pitr.retention.RetentionPolicy;
import dev.pitr.wal.CaptureProblem;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.PartialSegments;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Computes {@link Status} from the catalog and, when a primary is configured, the primary's own view of the slot. The
 * archive's sizes are the catalog's stored sizes; nothing is listed in storage.
 */
public final class StatusService {

    /** When a figure is worth a warning. */
    public record Thresholds(Duration rpo, long slotRetainedBytes, long spoolFreeBytes) {}

    /** The segment size when the archive has none yet to tell it. */
    private static final long DEFAULT_SEGMENT_BYTES = 16L << 20;

    private final Catalog catalog;
    private final Optional<Primary> primary;
    private final Optional<Path> spool;
    private final String slot;
    private final RetentionPolicy policy;
    private final Thresholds thresholds;
    private final Clock clock;
    private String policyConflict;

    private Duration drillMaxAge = Duration.ofDays(8);

    private boolean drillsScheduled;

    private Duration maxRecoveryTime;

    public StatusService(
            Catalog catalog,
            Optional<Primary> primary,
            Optional<Path> spool,
            String slot,
            RetentionPolicy policy,
            Thresholds thresholds,
            Clock clock) {
        this.catalog = catalog;
        this.primary = primary;
        this.spool = spool;
        this.slot = slot;
        this.policy = policy;
        this.thresholds = thresholds;
        this.clock = clock;
    }

    /** The service the configuration describes: the repository's catalog, and the primary if one is configured. */
    public static StatusService from(Config config, Catalog catalog, Clock clock) {
        Optional<Primary> primary = config.get(Key.PRIMARY_HOST).map(h -> Primary.from(config));
        Duration rpo = RetentionPolicy.parseDuration(config.require(Key.STATUS_RPO_WARNING))
                .orElseThrow(() -> new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "status.rpo_warning must be a duration such as 5m",
                        "fix 'status.rpo_warning' in " + config.file()));
        Optional<Path> spool = config.get(Key.WAL_SPOOL_DIR).map(x -> config.requirePath(Key.WAL_SPOOL_DIR));
        // the cluster's policy, read once: what status shows, and what this host's keys must agree with
        Optional<RetentionPolicy> mine = config.configuredRetentionPolicy();
        Optional<RetentionPolicy> cluster = ClusterRetention.recorded(catalog);
        StatusService service = new StatusService(
                // status only shows: a service may answer from cheaper reads that trail a write by a moment
                catalog.forDisplay(),
                primary,
                spool,
                config.require(Key.WAL_SLOT),
                cluster.or(() -> mine).orElse(RetentionPolicy.DEFAULT),
                new Thresholds(
                        rpo,
                        config.requireInt(Key.STATUS_SLOT_RETAINED_WARNING_MB) * 1024L * 1024L,
                        config.requireInt(Key.STATUS_SPOOL_FREE_WARNING_MB) * 1024L * 1024L),
                clock);
        if (mine.isPresent() && cluster.isPresent() && !mine.get().equals(cluster.get())) {
            // said in every status
            service.policyConflict = "the retention keys of " + config.file() + " ("
                    + mine.get().describe()
                    + ") are not the cluster's policy (" + cluster.get().describe() + "), so retention refuses to"
                    + " run here: remove them, make them match, or 'pitr retention set' to make them the cluster's";
        }
        service.drillMaxAge = RetentionPolicy.parseDuration(config.require(Key.DRILL_MAX_AGE))
                .orElseThrow(() -> new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "drill.max_age must be a duration such as 8d",
                        "fix 'drill.max_age' in " + config.file()));
        service.drillsScheduled = config.get(Key.DRILL_SCHEDULE).isPresent();
        service.maxRecoveryTime = maxRecoveryTime(config).orElse(null);
        return service;
    }

    /**
     * {@code snapshot.max_recovery_time}, when set: the worst-case recovery time a snapshot is taken to keep under.
     *
     * @throws PitrException {@code config-invalid} for a value that is not a positive duration
     */
    public static Optional<Duration> maxRecoveryTime(Config config) {
        return config.get(Key.SNAPSHOT_MAX_RECOVERY_TIME)
                .map(v -> RetentionPolicy.parseDuration(v)
                        .filter(d -> !d.isZero() && !d.isNegative())
                        .orElseThrow(() -> new PitrException(
                                ErrorCode.CONFIG_INVALID,
                                "snapshot.max_recovery_time must be a duration such as 15m",
                                "fix 'snapshot.max_recovery_time' in " + config.file())));
    }

    /** The segment archived last, complete or as far as it was shipped. */
    private record Newest(
            String fileName, TimelineId timeline, Lsn endLsn, Instant archivedAt, Instant lastEnd, long segmentSize) {}

    public Status status() {
        for (int attempt = 0; ; attempt++) {
            try {
                return once();
            } catch (RestoreWindow.StaleSummaryException e) {
                // records that contradict a summary: sum the block up again and look anew
                if (attempt >= 4) {
                    throw e;
                }
                catalog.repairSegmentBlock(e.timeline(), e.number());
            }
        }
    }

    private Status once() {
        Instant now = clock.instant();
        List<SegmentBlock> blocks = catalog.segmentBlocks();
        List<HistoryRecord> histories = catalog.histories();
        List<SnapshotRecord> snapshots = catalog.snapshots();
        List<String> warnings = new ArrayList<>();
        if (policyConflict != null) {
            warnings.add(policyConflict);
        }

        RestoreWindow window = RestoreWindow.of(catalog, blocks, histories, snapshots);
        // the newest that can be restored: an incremental whose chain is broken is a warning, not a recovery point
        Status.Snapshot lastSnapshot = window.snapshots().stream()
                .max(Comparator.comparing(SnapshotRecord::stopTime))
                .map(s -> new Status.Snapshot(
                        s.id().value(),
                        s.stopTime(),
                        Duration.between(s.stopTime(), now).toSeconds(),
                        s.lineage().text(),
                        window.chain(s).length()))
                .orElse(null);
        if (lastSnapshot == null) {
            warnings.add("no complete snapshot: nothing can be restored yet");
        }

        // the WAL received includes the segment being written, as far as it was shipped
        Newest newest = null;
        for (SegmentBlock b : blocks) {
            SegmentBlock.Newest n = b.newest();
            if (n != null && (newest == null || n.archivedAt().isAfter(newest.archivedAt()))) {
                newest = new Newest(
                        new SegmentName(b.timeline(), n.segno(), b.segmentSize()).fileName(),
                        b.timeline(),
                        n.endLsn(),
                        n.archivedAt(),
                        n.lastEnd(),
                        b.segmentSize());
            }
        }
        for (PartialSegment p : catalog.partials()) {
            boolean complete = blocks.stream()
                    .anyMatch(b -> b.timeline().equals(p.name().timeline())
                            && b.holds(p.name().segno()));
            if (!complete && (newest == null || p.archivedAt().isAfter(newest.archivedAt()))) {
                SegmentRecord s = p.asSegment();
                newest = new Newest(
                        s.name().fileName(),
                        s.name().timeline(),
                        s.endLsn(),
                        s.archivedAt(),
                        s.index() == null ? null : s.index().lastEnd(),
                        s.name().segmentSize());
            }
        }
        Status.Wal lastWal = null;
        if (newest != null) {
            long rpo = Duration.between(newest.archivedAt(), now).toSeconds();
            lastWal = new Status.Wal(
                    newest.fileName(),
                    newest.timeline().value(),
                    newest.endLsn().toString(),
                    newest.archivedAt(),
                    newest.lastEnd(),
                    rpo);
            if (rpo > thresholds.rpo().toSeconds()) {
                warnings.add("the newest WAL arrived " + rpo + " s ago, more than "
                        + thresholds.rpo().toSeconds() + " s: is capture running, and is the server writing?");
            }
        }

        Map<String, long[]> sizes = new TreeMap<>();
        for (SegmentBlock b : blocks) {
            if (b.count() > 0) {
                add(sizes, b.timeline().value(), "wal", b.count(), b.storedBytes());
            }
        }
        for (HistoryRecord h : histories) {
            add(sizes, h.timeline().value(), "history", 1, h.storedSize());
        }
        for (SnapshotRecord s : snapshots) {
            if (s.status() == SnapshotRecord.Status.COMPLETE || s.status() == SnapshotRecord.Status.EXPIRED) {
                add(
                        sizes,
                        s.timeline().value(),
                        s.lineage().incremental()
                                ? "snapshot-" + s.lineage().kind().name().toLowerCase(java.util.Locale.ROOT)
                                : "snapshot",
                        1,
                        s.storedSize());
            }
        }
        List<Status.Size> archive = new ArrayList<>();
        sizes.forEach((k, v) -> {
            String[] parts = k.split(" ", 2);
            archive.add(new Status.Size(Long.parseLong(parts[0]), parts[1], v[0], v[1]));
        });

        for (RestoreWindow.Timeline t : window.all()) {
            for (RestoreWindow.Gap g : t.gaps()) {
                if (g.kind() == RestoreWindow.GapKind.MISSING_SEGMENT
                        || g.kind() == RestoreWindow.GapKind.UNREADABLE_SEGMENT
                        || g.kind() == RestoreWindow.GapKind.MISSING_HISTORY
                        || g.kind() == RestoreWindow.GapKind.BROKEN_CHAIN) {
                    warnings.add("timeline " + t.timeline() + ": " + g.detail());
                }
            }
        }

        Status.Capture capture = capture(newest, warnings);

        RetentionPlan plan = RetentionPlanner.plan(catalog, blocks, histories, snapshots, now, policy);
        List<Instant> waiting = new ArrayList<>();
        long segmentsWaiting = 0;
        for (SegmentBlock b : blocks) {
            if (b.awaitingCount() > 0) {
                segmentsWaiting += b.awaitingCount();
                waiting.add(b.firstAwaiting().plus(policy.grace()));
            }
        }
        snapshots.stream()
                .filter(s -> s.status() == SnapshotRecord.Status.EXPIRED)
                .forEach(s -> waiting.add(s.expiredAt().orElseThrow().plus(policy.grace())));
        Status.Retention retention = new Status.Retention(
                policy.describe(),
                snapshots.stream()
                        .filter(SnapshotRecord::pinned)
                        .map(s -> s.id().value())
                        .toList(),
                Math.toIntExact(segmentsWaiting
                        + snapshots.stream()
                                .filter(x -> x.status() == SnapshotRecord.Status.EXPIRED)
                                .count()),
                waiting.stream().min(Comparator.naturalOrder()).orElse(null),
                plan.expiredSnapshots().size(),
                Math.toIntExact(plan.expiredCount()),
                plan.windowStart());
        warnings.addAll(plan.warnings());
        Status.Restore lastRestore = catalog.latestRestore()
                .map(r -> {
                    boolean working =
                            r.outcome().equals("laying-down") || r.outcome().equals("replaying");
                    return new Status.Restore(
                            r.id(),
                            r.recordedAt(),
                            r.outcome(),
                            r.target(),
                            r.snapshotId(),
                            r.stoppedAt(),
                            working ? r.cause() : null,
                            working ? null : r.error());
                })
                .orElse(null);
        Status.Drill lastDrill = drill(now, warnings);
        Lsn walEnd = newest == null ? null : newest.endLsn();
        RecoveryTime recovery = window.snapshots().stream()
                .max(Comparator.comparing(SnapshotRecord::stopLsn))
                .map(s -> RecoveryTime.of(window.chain(s), walEnd, RecoveryTime.measured(catalog)))
                .orElse(null);
        if (recovery != null && maxRecoveryTime != null && recovery.total().compareTo(maxRecoveryTime) > 0) {
            warnings.add("a restore to the latest point would take about "
                    + recovery.total().toSeconds()
                    + " s, more than snapshot.max_recovery_time (" + maxRecoveryTime.toSeconds()
                    + " s): 'pitr run' takes a snapshot at its next check; 'pitr snapshot create' takes one now");
        }
        return new Status(
                now,
                lastSnapshot,
                lastWal,
                archive,
                window,
                capture,
                retention,
                warnings,
                lastRestore,
                lastDrill,
                recovery);
    }

    /** The last drill, with a warning when it failed or when none passed within {@code drill.max_age}. */
    private Status.Drill drill(Instant now, List<String> warnings) {
        Optional<dev.pitr.catalog.DrillRecord> last = catalog.latestDrill(false);
        Optional<dev.pitr.catalog.DrillRecord> passed =
                last.isPresent() && last.get().passed() ? last : catalog.latestDrill(true);
        if (last.isPresent() && !last.get().passed()) {
            warnings.add("the last restore drill, " + last.get().id() + " at "
                    + last.get().finishedAt() + ", FAILED: " + last.get().cause());
        }
        boolean expected = drillsScheduled || last.isPresent();
        if (expected
                && (passed.isEmpty()
                        || passed.get().finishedAt().plus(drillMaxAge).isBefore(now))) {
            warnings.add("no restore drill has passed in the last " + RetentionPolicy.human(drillMaxAge)
                    + (passed.isEmpty()
                            ? ""
                            : " (the last passed at " + passed.get().finishedAt() + ")")
                    + ": run 'pitr drill', or set drill.schedule for 'pitr run'");
        }
        return last.map(d -> new Status.Drill(
                        d, passed.map(dev.pitr.catalog.DrillRecord::finishedAt).orElse(null)))
                .orElse(null);
    }

    private static void add(Map<String, long[]> sizes, long timeline, String kind, long count, long bytes) {
        long[] v = sizes.computeIfAbsent(timeline + " " + kind, k -> new long[2]);
        v[0] += count;
        v[1] += bytes;
    }

    /**
     * The spool's free space, when the spool is on this host, with a warning when it runs low. Below what
     * pg_receivewal needs to go on ({@link PartialSegments#roomNeeded}) capture does not receive, so the primary keeps
     * the WAL instead (see the slot).
     */
    private Long spoolFree(List<String> warnings, long segmentSize) {
        if (spool.isEmpty() || !Files.isDirectory(spool.get())) {
            return null;
        }
        long free;
        try {
            free = Files.getFileStore(spool.get()).getUsableSpace();
        } catch (IOException e) {
            warnings.add("cannot read the free space of the spool " + spool.get() + ": " + e.getMessage());
            return null;
        }
        long need = PartialSegments.roomNeeded(spool.get(), segmentSize);
        if (free < need) {
            warnings.add("SPOOL FULL: " + spool.get() + " has " + free / (1024 * 1024) + " MiB free, less than the "
                    + need / (1024 * 1024)
                    + " MiB pg_receivewal needs: capture receives no WAL until space returns, and the slot"
                    + " holds it in pg_wal on the primary meanwhile");
        } else if (free < thresholds.spoolFreeBytes()) {
            warnings.add("the spool " + spool.get() + " has " + free / (1024 * 1024) + " MiB free, less than "
                    + thresholds.spoolFreeBytes() / (1024 * 1024)
                    + " MiB: capture stops receiving WAL when a segment no longer fits");
        }
        return free;
    }

    private Status.Capture capture(Newest newest, List<String> warnings) {
        Long spoolFree = spoolFree(warnings, newest == null ? DEFAULT_SEGMENT_BYTES : newest.segmentSize());
        spool.flatMap(CaptureProblem::warning).ifPresent(warnings::add);
        if (primary.isEmpty()) {
            return new Status.Capture(false, null, false, null, null, spoolFree, "no primary configured");
        }
        Primary p = primary.get();
        try (Connection c = p.connect();
                PreparedStatement ps =
                        c.prepareStatement("SELECT pg_current_wal_lsn()::text, s.active, s.restart_lsn::text,"
                                + " pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint"
                                + " FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Lsn current = Lsn.parse(rs.getString(1));
                boolean active = rs.getBoolean(2);
                Long retained = rs.getString(3) == null ? null : rs.getLong(4);
                Long lag = newest == null
                        ? null
                        : Math.max(0, current.value() - newest.endLsn().value());
                if (rs.getString(3) == null) {
                    warnings.add(
                            "the slot " + slot + " does not exist on " + p.describe() + "; run 'pitr check --fix'");
                } else if (!active) {
                    warnings.add("nothing streams from the slot " + slot + ": capture is not running or not connected");
                }
                if (retained != null && retained > thresholds.slotRetainedBytes()) {
                    warnings.add("the slot " + slot + " holds back " + retained / (1024 * 1024)
                            + " MiB of WAL in pg_wal on " + p.describe() + ", more than "
                            + thresholds.slotRetainedBytes() / (1024 * 1024) + " MiB");
                }
                return new Status.Capture(true, p.describe(), active, lag, retained, spoolFree, null);
            }
        } catch (SQLException | RuntimeException e) {
            warnings.add("the primary is not reachable: " + e.getMessage());
            return new Status.Capture(false, p.describe(), false, null, null, spoolFree, e.getMessage());
        }
    }
}
