package dev.pitr.restore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Extent;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.WalRecords;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** Prints the restorable window and a restore plan, as text for people and as JSON for programs. */
public final class RestoreReports {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RestoreReports() {}

    public static void printWindow(RestoreWindow w, PrintWriter out) {
        List<RestoreWindow.Timeline> all = w.all();
        if (all.isEmpty()) {
            out.println("the archive is empty");
        }
        for (RestoreWindow.Timeline t : all) {
            out.println("timeline " + t.timeline() + " (" + t.path().describe() + ")");
            if (t.ranges().isEmpty()) {
                out.println("  nothing restorable: no snapshot with the WAL to become consistent");
            }
            for (RestoreWindow.Range r : t.ranges()) {
                out.println("  earliest  " + time(r.startTime()) + "  " + r.startLsn() + "  (snapshot "
                        + r.snapshots().get(0).id() + ")");
                out.println("  latest    " + time(r.endTime()) + "  " + r.endLsn()
                        + (r.exactTimes() ? "" : "  (approximate: some segments predate the time index)"));
                out.println(
                        "            " + r.snapshots().size() + " snapshot(s), " + r.segmentCount() + " segment(s)");
            }
            for (RestoreWindow.Gap g : t.gaps()) {
                out.println("  gap       "
                        + g.kind().name().toLowerCase(Locale.ROOT).replace('_', '-') + " at " + g.from() + ": "
                        + g.detail());
            }
        }
        out.flush();
    }

    public static void printWindowJson(RestoreWindow w, PrintWriter out) {
        write(windowJson(w), out);
    }

    /** The window as {@code restore-window --json} prints it: {@code {"timelines": [...]}}. */
    public static ObjectNode windowJson(RestoreWindow w) {
        ArrayNode tls = JSON.createArrayNode();
        for (RestoreWindow.Timeline t : w.all()) {
            ObjectNode n = tls.addObject();
            n.put("timeline", t.timeline().value());
            ArrayNode path = n.putArray("path");
            for (WalPath.Step s : t.path().steps()) {
                ObjectNode p = path.addObject();
                p.put("timeline", s.timeline().value());
                p.put("begin_lsn", s.begin().toString());
                p.put("end_lsn", s.end() == null ? null : s.end().toString());
            }
            ArrayNode ranges = n.putArray("ranges");
            for (RestoreWindow.Range r : t.ranges()) {
                ObjectNode o = ranges.addObject();
                o.put("earliest_time", time(r.startTime()));
                o.put("earliest_lsn", r.startLsn().toString());
                o.put("latest_time", time(r.endTime()));
                o.put("latest_lsn", r.endLsn().toString());
                o.put("exact_times", r.exactTimes());
                o.put("segments", r.segmentCount());
                ArrayNode snaps = o.putArray("snapshots");
                r.snapshots().forEach(s -> snaps.add(s.id().value()));
                ArrayNode points = o.putArray("restore_points");
                for (Extent.Point x : r.restorePoints()) {
                    WalRecords.RestorePoint p = x.point();
                    points.addObject()
                            .put("name", p.name())
                            .put("lsn", p.lsn().toString())
                            .put("time", time(p.time()));
                }
            }
            ArrayNode gaps = n.putArray("gaps");
            for (RestoreWindow.Gap g : t.gaps()) {
                ObjectNode o = gaps.addObject();
                o.put("kind", g.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'));
                o.put("from_lsn", g.from().toString());
                o.put("to_lsn", g.to() == null ? null : g.to().toString());
                ArrayNode files = o.putArray("files");
                g.files().forEach(files::add);
                o.put("detail", g.detail());
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.set("timelines", tls);
        return root;
    }

    public static void printPlan(RestorePlan p, RestoreRequest.Action action, PrintWriter out) {
        SnapshotRecord s = p.snapshot();
        out.println("target    " + RestoreTarget.describe(p.requested()) + (p.inclusive() ? "" : " (exclusive)"));
        out.println("timeline  " + p.timeline() + " (" + p.path().describe() + ")");
        out.println("snapshot  " + s.id() + " on timeline " + s.timeline() + ", consistent at " + time(s.stopTime())
                + " (" + s.stopLsn() + "), " + s.plainSize() + " bytes (" + s.storedSize() + " stored)");
        if (p.chain().length() > 0) {
            out.println("chain     " + p.chain().length() + " incremental(s) on full "
                    + p.chain().full().id() + ", " + p.chain().plainSize() + " bytes ("
                    + p.chain().storedSize() + " stored) laid down in order");
            for (SnapshotRecord link : p.chain().links()) {
                out.println(
                        "  " + link.id() + "  " + link.lineage().kind().name().toLowerCase(java.util.Locale.ROOT) + "  "
                                + link.plainSize() + "  " + link.storedSize());
            }
        }
        if (p.stopsAt() != null) {
            out.println("stops at  about " + p.stopsAt());
        }
        if (p.note() != null) {
            out.println("note      " + p.note());
        }
        out.println("settings");
        p.recoverySettings(action).forEach((k, v) -> out.println("  " + k + " = '" + v + "'"));
        out.println("wal       " + p.histories().size() + " history file(s), "
                + p.segments().size() + " segment(s), " + p.walPlainBytes() + " bytes (" + p.walStoredBytes()
                + " stored), no gap");
        for (HistoryRecord h : p.histories()) {
            out.println("  " + h.fileName() + "  " + h.storedSize());
        }
        for (SegmentRecord r : p.segments()) {
            out.println("  " + r.name().fileName() + "  " + r.plainSize() + "  " + r.storedSize()
                    + (r.index() == null || r.index().lastEnd() == null
                            ? ""
                            : "  last transaction end " + time(r.index().lastEnd())));
        }
        out.println("estimate  " + p.estimate().toMillis() / 1000.0 + " s (snapshot at "
                + (long) (RestorePlan.SNAPSHOT_BYTES_PER_SECOND / 1e6) + " MB/s, replay at "
                + (long) (RestorePlan.REPLAY_BYTES_PER_SECOND / 1e6) + " MB/s, as measured on 2 cores)");
        out.println("window    " + p.window());
        out.flush();
    }

    public static void printPlanJson(RestorePlan p, RestoreRequest.Action action, PrintWriter out) {
        ObjectNode n = JSON.createObjectNode();
        n.put("target", RestoreTarget.describe(p.requested()));
        n.put("inclusive", p.inclusive());
        n.put("timeline", p.timeline().value());
        n.put("path", p.path().describe());
        SnapshotRecord s = p.snapshot();
        ObjectNode snap = n.putObject("snapshot");
        snap.put("id", s.id().value());
        snap.put("timeline", s.timeline().value());
        snap.put("consistent_lsn", s.stopLsn().toString());
        snap.put("consistent_time", time(s.stopTime()));
        snap.put("plain_bytes", s.plainSize());
        snap.put("stored_bytes", s.storedSize());
        snap.put("lineage", s.lineage().text());
        ArrayNode chain = n.putArray("chain");
        for (SnapshotRecord link : p.chain().links()) {
            chain.addObject()
                    .put("id", link.id().value())
                    .put("lineage", link.lineage().text())
                    .put("plain_bytes", link.plainSize())
                    .put("stored_bytes", link.storedSize());
        }
        n.put("stops_at_lsn", p.stopsAt() == null ? null : p.stopsAt().toString());
        n.put("note", p.note());
        ObjectNode settings = n.putObject("recovery_settings");
        p.recoverySettings(action).forEach(settings::put);
        ArrayNode files = n.putArray("wal");
        for (HistoryRecord h : p.histories()) {
            files.addObject().put("file", h.fileName()).put("kind", "history").put("stored_bytes", h.storedSize());
        }
        for (SegmentRecord r : p.segments()) {
            ObjectNode o = files.addObject();
            o.put("file", r.name().fileName())
                    .put("kind", "segment")
                    .put("plain_bytes", r.plainSize())
                    .put("stored_bytes", r.storedSize());
            if (r.index() != null && r.index().lastEnd() != null) {
                o.put("first_transaction_end", time(r.index().firstEnd()));
                o.put("last_transaction_end", time(r.index().lastEnd()));
            }
        }
        n.put("wal_plain_bytes", p.walPlainBytes());
        n.put("wal_stored_bytes", p.walStoredBytes());
        n.put("estimated_seconds", p.estimate().toMillis() / 1000.0);
        n.put("window", p.window());
        write(n, out);
    }

    private static String time(Instant t) {
        return t == null ? null : RestoreTarget.postgresTime(t);
    }

    private static void write(ObjectNode n, PrintWriter out) {
        try {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }
}
