package dev.pitr.restore;

import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotChain;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a restore will do, decided before anything is downloaded: the snapshot (and the chain it is restored
 * through, when it is an incremental), the timeline, every WAL file it will
 * replay (history files first, then segments in order, proven to have no gap), and the recovery settings that make
 * PostgreSQL stop at the target. {@code target} is what will be asked of PostgreSQL: a time at or after the last
 * transaction archived becomes {@link RestoreTarget.Latest}, since PostgreSQL refuses to end recovery on a time it
 * never sees passed. {@code stopsAt} is the LSN recovery is expected to stop near, when the index knows it.
 */
public record RestorePlan(
        RestoreTarget requested,
        RestoreTarget target,
        boolean inclusive,
        TimelineId timeline,
        WalPath path,
        SnapshotChain chain,
        List<HistoryRecord> histories,
        List<SegmentRecord> segments,
        Lsn stopsAt,
        String window,
        String note) {

    /**
     * Rates for the estimate, measured on 2 cores: a snapshot is laid down (fetched, decrypted, decompressed, written)
     * at about 200 MB/s, and PostgreSQL replays pgbench WAL from the prefetch spool at about 150 MB/s.
     */
    static final double SNAPSHOT_BYTES_PER_SECOND = 200e6;

    static final double REPLAY_BYTES_PER_SECOND = 150e6;

    public RestorePlan {
        histories = List.copyOf(histories);
        segments = List.copyOf(segments);
    }

    /** The snapshot recovery starts from: the top of {@link #chain}. */
    public SnapshotRecord snapshot() {
        return chain.top();
    }

    /**
     * Where recovery must at least get to when it replays to the end of the planned WAL: the start of the last planned
     * segment. A restore that stops before it ended early (a segment that could not be fetched). Null for a target
     * that stops recovery itself.
     */
    public Lsn mustReach() {
        return target instanceof RestoreTarget.Latest && !segments.isEmpty()
                ? segments.get(segments.size() - 1).startLsn()
                : null;
    }

    public long walPlainBytes() {
        return segments.stream().mapToLong(SegmentRecord::plainSize).sum();
    }

    public long walStoredBytes() {
        return segments.stream().mapToLong(SegmentRecord::storedSize).sum()
                + histories.stream().mapToLong(HistoryRecord::storedSize).sum();
    }

    /** A rough time for the whole restore, from the measured rates above. */
    public Duration estimate() {
        double seconds = chain.plainSize() / SNAPSHOT_BYTES_PER_SECOND + walPlainBytes() / REPLAY_BYTES_PER_SECOND;
        return Duration.ofMillis((long) Math.ceil(seconds * 1000));
    }

    /** The recovery settings, in the order they are written to {@code postgresql.auto.conf}. */
    public Map<String, String> recoverySettings(RestoreRequest.Action action) {
        Map<String, String> m = new LinkedHashMap<>();
        if (target instanceof RestoreTarget.Time t) {
            m.put("recovery_target_time", RestoreTarget.postgresTime(t.time()));
        } else if (target instanceof RestoreTarget.AtLsn at) {
            m.put("recovery_target_lsn", at.lsn().toString());
        } else if (target instanceof RestoreTarget.Xid x) {
            m.put("recovery_target_xid", Long.toString(x.xid()));
        } else if (target instanceof RestoreTarget.Named n) {
            m.put("recovery_target_name", n.name());
        } else if (target instanceof RestoreTarget.Immediate) {
            m.put("recovery_target", "immediate");
        }
        if (!(target instanceof RestoreTarget.Latest)) {
            if (!(target instanceof RestoreTarget.Named || target instanceof RestoreTarget.Immediate)) {
                m.put("recovery_target_inclusive", inclusive ? "on" : "off");
            }
            m.put("recovery_target_action", action.setting());
        }
        m.put("recovery_target_timeline", Long.toString(timeline.value()));
        return m;
    }
}
