package dev.pitr.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.restore.RestoreReports;
import dev.pitr.restore.RestoreWindow;
import java.time.Instant;
import java.util.List;

/**
 * The archive's health at one moment, as {@code pitr status}, the dashboard and {@code /metrics} show it. Ages are in
 * seconds at {@code at}; the recovery point age ({@code rpoSeconds}) is how long ago the newest archived WAL arrived.
 */
public record Status(
        Instant at,
        Snapshot lastSnapshot,
        Wal lastWal,
        List<Size> archive,
        RestoreWindow window,
        Capture capture,
        Retention retention,
        List<String> warnings,
        Restore lastRestore,
        Drill lastDrill,
        RecoveryTime recovery) {

    /**
     * The drill that finished last ({@code drill}), and when one last passed ({@code lastPassed}, null when none did).
     * Null when no drill is recorded.
     */
    public record Drill(dev.pitr.catalog.DrillRecord drill, Instant lastPassed) {}

    /**
     * The restore recorded last: its outcome ({@code restored}, {@code failed}, or while the agent works {@code
     * laying-down} or {@code replaying}, with the progress line: bytes, rate, time left), its target and snapshot, where
     * replay stopped (or has come), and a failure's error. Null when none is recorded.
     */
    public record Restore(
            String id,
            Instant recordedAt,
            String outcome,
            String target,
            String snapshot,
            String stoppedAt,
            String progress,
            String error) {}

    /** A status without a restore recorded. */
    public Status(
            Instant at,
            Snapshot lastSnapshot,
            Wal lastWal,
            List<Size> archive,
            RestoreWindow window,
            Capture capture,
            Retention retention,
            List<String> warnings) {
        this(at, lastSnapshot, lastWal, archive, window, capture, retention, warnings, null, null, null);
    }

    /**
     * The newest complete snapshot: its lineage ({@code full}, {@code block:<parent>}, {@code native:<parent>}) and the
     * number of incrementals its restore lays onto the full (0 for a full).
     */
    public record Snapshot(String id, Instant stopTime, long ageSeconds, String lineage, int chainLength) {}

    /** The newest archived segment: where it ends, when it arrived, the last transaction end in it. */
    public record Wal(
            String segment,
            long timeline,
            String endLsn,
            Instant archivedAt,
            Instant lastTransaction,
            long rpoSeconds) {}

    /**
     * Stored bytes of one kind ({@code wal}, {@code history}, {@code snapshot} for fulls, {@code snapshot-block} and
     * {@code snapshot-native} for incrementals) on one timeline.
     */
    public record Size(long timeline, String kind, long objects, long bytes) {}

    /**
     * What the primary says about capture: whether it is reachable, whether a client streams from the slot, how far the
     * archive is behind its current WAL, and how much WAL the slot holds back in {@code pg_wal}; and the free space in
     * the spool, when it is on this host.
     */
    public record Capture(
            boolean reachable,
            String server,
            boolean slotActive,
            Long lagBytes,
            Long retainedBytes,
            Long spoolFreeBytes,
            String error) {}

    /** Retention's view: the policy, the pins, what waits out its grace period, and what the policy would expire now. */
    public record Retention(
            String policy,
            List<String> pinned,
            int awaitingRemoval,
            Instant nextRemoval,
            int wouldExpireSnapshots,
            int wouldExpireSegments,
            Instant windowStart) {}

    public long archiveBytes() {
        return archive.stream().mapToLong(Size::bytes).sum();
    }

    public ObjectNode toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("at", at.toString());
        if (lastSnapshot == null) {
            root.putNull("last_snapshot");
        } else {
            root.putObject("last_snapshot")
                    .put("id", lastSnapshot.id())
                    .put("stop_time", lastSnapshot.stopTime().toString())
                    .put("age_seconds", lastSnapshot.ageSeconds())
                    .put("lineage", lastSnapshot.lineage())
                    .put("chain_length", lastSnapshot.chainLength());
        }
        if (lastWal == null) {
            root.putNull("last_wal");
        } else {
            ObjectNode w = root.putObject("last_wal")
                    .put("segment", lastWal.segment())
                    .put("timeline", lastWal.timeline())
                    .put("end_lsn", lastWal.endLsn())
                    .put("archived_at", lastWal.archivedAt().toString())
                    .put("rpo_seconds", lastWal.rpoSeconds());
            w.put(
                    "last_transaction",
                    lastWal.lastTransaction() == null
                            ? null
                            : lastWal.lastTransaction().toString());
        }
        ObjectNode a = root.putObject("archive").put("bytes", archiveBytes());
        ArrayNode rows = a.putArray("by_timeline_and_kind");
        for (Size s : archive) {
            rows.addObject()
                    .put("timeline", s.timeline())
                    .put("kind", s.kind())
                    .put("objects", s.objects())
                    .put("bytes", s.bytes());
        }
        root.set("window", RestoreReports.windowJson(window));
        ObjectNode c = root.putObject("capture")
                .put("reachable", capture.reachable())
                .put("server", capture.server())
                .put("slot_active", capture.slotActive());
        c.put("lag_bytes", capture.lagBytes());
        c.put("slot_retained_bytes", capture.retainedBytes());
        c.put("spool_free_bytes", capture.spoolFreeBytes());
        c.put("error", capture.error());
        ObjectNode r = root.putObject("retention").put("policy", retention.policy());
        ArrayNode pins = r.putArray("pinned");
        retention.pinned().forEach(pins::add);
        r.put("awaiting_removal", retention.awaitingRemoval());
        r.put(
                "next_removal",
                retention.nextRemoval() == null ? null : retention.nextRemoval().toString());
        r.put("would_expire_snapshots", retention.wouldExpireSnapshots());
        r.put("would_expire_segments", retention.wouldExpireSegments());
        r.put(
                "window_start",
                retention.windowStart() == null ? null : retention.windowStart().toString());
        if (lastRestore == null) {
            root.putNull("last_restore");
        } else {
            root.putObject("last_restore")
                    .put("id", lastRestore.id())
                    .put("recorded_at", lastRestore.recordedAt().toString())
                    .put("outcome", lastRestore.outcome())
                    .put("target", lastRestore.target())
                    .put("snapshot", lastRestore.snapshot())
                    .put("stopped_at", lastRestore.stoppedAt())
                    .put("progress", lastRestore.progress())
                    .put("error", lastRestore.error());
        }
        if (lastDrill == null) {
            root.putNull("last_drill");
        } else {
            ObjectNode d = root.putObject("last_drill");
            d.setAll(dev.pitr.drill.DrillReports.json(lastDrill.drill()));
            d.put(
                    "last_passed_at",
                    lastDrill.lastPassed() == null
                            ? null
                            : lastDrill.lastPassed().toString());
        }
        if (recovery == null) {
            root.putNull("recovery_time");
        } else {
            root.putObject("recovery_time")
                    .put("snapshot", recovery.snapshot())
                    .put("seconds", recovery.total().toMillis() / 1000.0)
                    .put("lay_down_seconds", recovery.layDown().toMillis() / 1000.0)
                    .put("replay_seconds", recovery.replay().toMillis() / 1000.0)
                    .put("other_seconds", recovery.overhead().toMillis() / 1000.0)
                    .put("lay_down_bytes", recovery.layDownBytes())
                    .put("replay_bytes", recovery.replayBytes())
                    .put("lay_down_bytes_per_second", Math.round(recovery.layDownRate()))
                    .put("replay_bytes_per_second", Math.round(recovery.replayRate()))
                    .put("rates", recovery.rates());
        }
        ArrayNode w = root.putArray("warnings");
        warnings.forEach(w::add);
        return root;
    }
}
