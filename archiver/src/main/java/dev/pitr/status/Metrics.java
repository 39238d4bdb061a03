package dev.pitr.status;

import dev.pitr.restore.RestoreWindow;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** {@link Status} in the Prometheus text exposition format (version 0.0.4): gauges only, a series left out when unknown. */
public final class Metrics {

    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder();

    private Metrics() {}

    public static String of(Status s) {
        Metrics m = new Metrics();
        m.gauge(
                "pitr_rpo_seconds",
                "Seconds since the newest archived WAL segment arrived (the recovery point's age).",
                s.lastWal() == null ? null : (double) s.lastWal().rpoSeconds());
        m.gauge(
                "pitr_last_wal_archived_timestamp_seconds",
                "When the newest WAL segment was archived.",
                s.lastWal() == null ? null : seconds(s.lastWal().archivedAt()));
        m.gauge(
                "pitr_last_snapshot_age_seconds",
                "Seconds since the newest complete snapshot became consistent.",
                s.lastSnapshot() == null ? null : (double) s.lastSnapshot().ageSeconds());
        m.gauge(
                "pitr_last_snapshot_timestamp_seconds",
                "When the newest complete snapshot became consistent.",
                s.lastSnapshot() == null ? null : seconds(s.lastSnapshot().stopTime()));

        m.header("pitr_archive_bytes", "Stored bytes, by timeline and kind (wal, history, snapshot).");
        for (Status.Size z : s.archive()) {
            m.sample("pitr_archive_bytes", Map.of("timeline", "" + z.timeline(), "kind", z.kind()), (double) z.bytes());
        }
        m.header("pitr_archive_objects", "Stored objects, by timeline and kind.");
        for (Status.Size z : s.archive()) {
            m.sample("pitr_archive_objects", Map.of("timeline", "" + z.timeline(), "kind", z.kind()), (double)
                    z.objects());
        }

        m.header("pitr_window_start_timestamp_seconds", "The earliest restorable time, per timeline.");
        for (RestoreWindow.Timeline t : s.window().all()) {
            if (!t.ranges().isEmpty()) {
                m.sample(
                        "pitr_window_start_timestamp_seconds",
                        Map.of("timeline", "" + t.timeline().value()),
                        seconds(t.ranges().get(0).startTime()));
            }
        }
        m.header("pitr_window_end_timestamp_seconds", "The latest restorable time, per timeline.");
        for (RestoreWindow.Timeline t : s.window().all()) {
            if (!t.ranges().isEmpty()) {
                m.sample(
                        "pitr_window_end_timestamp_seconds",
                        Map.of("timeline", "" + t.timeline().value()),
                        seconds(t.ranges().get(t.ranges().size() - 1).endTime()));
            }
        }
        m.header("pitr_window_gaps", "Gaps in the WAL, per timeline and kind.");
        for (RestoreWindow.Timeline t : s.window().all()) {
            Map<String, Integer> kinds = new TreeMap<>();
            t.gaps()
                    .forEach(g ->
                            kinds.merge(g.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'), 1, Integer::sum));
            kinds.forEach((k, n) -> m.sample(
                    "pitr_window_gaps", Map.of("timeline", "" + t.timeline().value(), "kind", k), n));
        }

        m.gauge(
                "pitr_capture_primary_reachable",
                "1 when the primary answered.",
                s.capture().reachable() ? 1.0 : 0.0);
        m.gauge(
                "pitr_capture_slot_active",
                "1 when a client streams from the replication slot.",
                s.capture().slotActive() ? 1.0 : 0.0);
        m.gauge(
                "pitr_capture_lag_bytes",
                "Bytes of WAL the primary has written beyond the newest archived segment.",
                s.capture().lagBytes() == null ? null : (double) s.capture().lagBytes());
        m.gauge(
                "pitr_slot_retained_bytes",
                "Bytes of WAL the replication slot holds back in pg_wal on the primary.",
                s.capture().retainedBytes() == null
                        ? null
                        : (double) s.capture().retainedBytes());
        m.gauge(
                "pitr_spool_free_bytes",
                "Free bytes in the spool filesystem; below a segment, capture cannot receive WAL.",
                s.capture().spoolFreeBytes() == null
                        ? null
                        : (double) s.capture().spoolFreeBytes());
        m.gauge("pitr_retention_awaiting_removal", "Expired items waiting out the grace period.", (double)
                s.retention().awaitingRemoval());
        m.gauge("pitr_snapshots_pinned", "Pinned snapshots.", (double)
                s.retention().pinned().size());
        Status.Drill d = s.lastDrill();
        m.gauge(
                "pitr_drill_last_passed",
                "1 when the last restore drill passed, 0 when it failed.",
                d == null ? null : d.drill().passed() ? 1.0 : 0.0);
        m.gauge(
                "pitr_drill_last_timestamp_seconds",
                "When the last restore drill finished.",
                d == null ? null : seconds(d.drill().finishedAt()));
        m.gauge(
                "pitr_drill_last_passed_timestamp_seconds",
                "When a restore drill last passed.",
                d == null || d.lastPassed() == null ? null : seconds(d.lastPassed()));
        if (d != null && d.drill().timing() != null) {
            m.header("pitr_drill_rto_seconds", "How long the last drill's restore took, by phase.");
            var t = d.drill().timing();
            m.sample("pitr_drill_rto_seconds", Map.of("phase", "lay_down"), t.layDownMillis() / 1000.0);
            m.sample("pitr_drill_rto_seconds", Map.of("phase", "replay"), t.replayMillis() / 1000.0);
            m.sample("pitr_drill_rto_seconds", Map.of("phase", "total"), t.totalMillis() / 1000.0);
            t.replayBytesPerSecond()
                    .ifPresent(r -> m.gauge(
                            "pitr_drill_replay_bytes_per_second", "WAL bytes the last drill replayed a second.", r));
        }
        RecoveryTime rt = s.recovery();
        m.gauge(
                "pitr_recovery_time_seconds",
                "Worst-case time a restore to the latest point would take now: lay-down of the newest snapshot plus"
                        + " replay of the WAL since, at the measured (or assumed) rates.",
                rt == null ? null : rt.total().toMillis() / 1000.0);
        m.gauge("pitr_warnings", "Warnings pitr status shows.", (double)
                s.warnings().size());
        return m.out.toString();
    }

    private void gauge(String name, String help, Double value) {
        if (value != null) {
            header(name, help);
            sample(name, Map.of(), value);
        }
    }

    private void header(String name, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n");
    }

    private void sample(String name, Map<String, String> labels, double value) {
        out.append(name);
        if (!labels.isEmpty()) {
            out.append('{');
            String sep = "";
            for (Map.Entry<String, String> l : new TreeMap<>(labels).entrySet()) {
                out.append(sep)
                        .append(l.getKey())
                        .append("=\"")
                        .append(l.getValue()
                                .replace("\\", "\\\\")
                                .replace("\"", "\\\"")
                                .replace("\n", "\\n"))
                        .append('"');
                sep = ",";
            }
            out.append('}');
        }
        out.append(' ')
                .append(
                        value == Math.rint(value) && Math.abs(value) < 1e15
                                ? Long.toString((long) value)
                                : Double.toString(value))
                .append('\n');
    }

    private static double seconds(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }
}
