package dev.pitr.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.codec.Checksum;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * What every archived object says about itself, so that {@code pitr catalog rebuild} can recreate the catalog from
 * storage alone. Segments and history files carry it as object metadata ({@code pitr-*} names); a snapshot, whose
 * fields are known only after its body is stored, gets a sidecar {@code manifest.json} beside it once it is complete.
 */
public final class ObjectDescriptions {

    public static final String KIND = "pitr-kind";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ObjectDescriptions() {}

    /** The sidecar of a snapshot stored under {@code base}'s directory. */
    public static String snapshotManifestKey(SnapshotId id) {
        return "snapshots/" + id + "/manifest.json";
    }

    /** A segment's checksum ({@link Checksum}); objects archived before CRC-32C hold a SHA-256 under {@value #SHA256}. */
    static final String CHECKSUM = "pitr-checksum";

    static final String SHA256 = "pitr-sha256";

    private static String checksum(String key, Map<String, String> m) {
        String c = m.containsKey(CHECKSUM) ? m.get(CHECKSUM) : m.get(SHA256);
        if (!Checksum.isValid(c)) {
            throw new IllegalArgumentException(key + " holds no checksum pitr writes: " + c);
        }
        return c;
    }

    /** Restore point lists longer than this stay out of the metadata (S3 allows 2 KB in all); rebuild re-reads them. */
    static final int RESTORE_POINTS_BUDGET = 800;

    public static Map<String, String> segment(
            SegmentName name, long plainSize, String checksum, Instant archivedAt, SegmentIndex index) {
        Map<String, String> m = new HashMap<>();
        m.put(KIND, "segment");
        m.put("pitr-name", name.fileName());
        m.put("pitr-segment-size", Long.toString(name.segmentSize()));
        m.put("pitr-plain-size", Long.toString(plainSize));
        m.put(CHECKSUM, checksum);
        m.put("pitr-archived-at", archivedAt.toString());
        if (index != null) {
            m.put("pitr-transactions", index.transactions() + " " + index.minXid() + " " + index.maxXid());
            if (index.firstEnd() != null) {
                m.put("pitr-first-end", index.firstEnd().toString());
                m.put("pitr-last-end", index.lastEnd().toString());
            }
            String points = index.restorePointsText();
            if (points.length() > RESTORE_POINTS_BUDGET) {
                m.put(
                        "pitr-restore-points-omitted",
                        Integer.toString(index.restorePoints().size()));
            } else if (!points.isEmpty()) {
                m.put("pitr-restore-points", points);
            }
            if (index.problem() != null) {
                String p = index.problem().replaceAll("[^ -~]", "?");
                m.put("pitr-index-problem", p.length() > 200 ? p.substring(0, 200) : p);
            }
        }
        return m;
    }

    /** True when a segment object's metadata could not hold its whole index, so it must be read again to rebuild. */
    public static boolean indexIncomplete(Map<String, String> m) {
        return m.containsKey("pitr-restore-points-omitted");
    }

    /** The catalog record of a segment object from its metadata and stored size. */
    public static SegmentRecord segmentRecord(String key, long storedSize, Map<String, String> m) {
        require(key, m, "segment");
        SegmentName name = SegmentName.parse(m.get("pitr-name"), Long.parseLong(m.get("pitr-segment-size")));
        return new SegmentRecord(
                name,
                Long.parseLong(m.get("pitr-plain-size")),
                storedSize,
                checksum(key, m),
                key,
                m.get("pitr-key-id"),
                Instant.parse(m.get("pitr-archived-at")),
                index(m));
    }

    private static SegmentIndex index(Map<String, String> m) {
        String tx = m.get("pitr-transactions");
        if (tx == null) {
            return null;
        }
        String[] f = tx.split(" ", -1);
        return new SegmentIndex(
                instant(m.get("pitr-first-end")),
                instant(m.get("pitr-last-end")),
                Long.parseLong(f[1]),
                Long.parseLong(f[2]),
                Integer.parseInt(f[0]),
                SegmentIndex.parseRestorePoints(m.get("pitr-restore-points")),
                m.get("pitr-index-problem"));
    }

    private static Instant instant(String s) {
        return s == null ? null : Instant.parse(s);
    }

    public static Map<String, String> history(TimelineId tli, String sha256, Instant archivedAt) {
        Map<String, String> m = new HashMap<>();
        m.put(KIND, "history");
        m.put("pitr-timeline", Long.toString(tli.value()));
        m.put(SHA256, sha256);
        m.put("pitr-archived-at", archivedAt.toString());
        return m;
    }

    /**
     * A file archive_command is handed that pitr keeps as it is, and records nowhere else ({@code
     * WalShipper.isKeptAsIs}): {@code kind} says which ("backup-history" or "partial-segment").
     */
    public static Map<String, String> kept(String kind, String fileName, String sha256, Instant archivedAt) {
        Map<String, String> m = new HashMap<>();
        m.put(KIND, kind);
        m.put("pitr-file", fileName);
        m.put(SHA256, sha256);
        m.put("pitr-archived-at", archivedAt.toString());
        return m;
    }

    /** The SHA-256 of the plain bytes an object's metadata records, or null. */
    public static String sha256(Map<String, String> m) {
        return m.get(SHA256);
    }

    public static HistoryRecord historyRecord(String key, long storedSize, Map<String, String> m, String content) {
        require(key, m, "history");
        return new HistoryRecord(
                TimelineId.of(Long.parseLong(m.get("pitr-timeline"))),
                content,
                m.get(SHA256),
                key,
                storedSize,
                Instant.parse(m.get("pitr-archived-at")));
    }

    /**
     * A snapshot's fields as JSON, the form of its sidecar manifest and of {@code snapshot list --json}; {@code
     * backup_manifest} says where PostgreSQL's manifest is stored, with its checksum.
     */
    public static ObjectNode snapshotJson(SnapshotRecord s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", s.id().value());
        n.put("label", s.label());
        n.put("status", s.status().name());
        n.put("timeline", s.timeline().value());
        n.put("start_lsn", s.startLsn().toString());
        n.put("stop_lsn", s.stopLsn() == null ? null : s.stopLsn().toString());
        n.put("start_time", s.startTime().toString());
        n.put("stop_time", s.stopTime() == null ? null : s.stopTime().toString());
        n.put("first_segment", WalFileName.textOrNull(s.firstSegment()));
        n.put("last_segment", WalFileName.textOrNull(s.lastSegment()));
        n.put("plain_size", s.plainSize());
        n.put("stored_size", s.storedSize());
        n.put("sha256", s.sha256());
        n.put("storage_key", s.storageKey());
        n.put("key_id", s.keyId());
        n.put("retention", s.retention().text());
        n.put("lineage", s.lineage().text());
        BackupManifest m = s.backupManifest();
        if (m == null) {
            n.putNull("backup_manifest");
        } else {
            n.putObject("backup_manifest")
                    .put("storage_key", m.storageKey())
                    .put("sha256", m.sha256())
                    .put("size", m.size());
        }
        return n;
    }

    public static byte[] snapshotManifest(SnapshotRecord s) {
        ObjectNode n = snapshotJson(s);
        n.put("format", 1);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static SnapshotRecord snapshotRecord(String key, byte[] json) {
        try {
            JsonNode n = JSON.readTree(json);
            return new SnapshotRecord(
                    new SnapshotId(n.get("id").asText()),
                    text(n, "label"),
                    SnapshotRecord.Status.valueOf(n.get("status").asText()),
                    TimelineId.of(n.get("timeline").asLong()),
                    Lsn.parse(n.get("start_lsn").asText()),
                    text(n, "stop_lsn") == null ? null : Lsn.parse(text(n, "stop_lsn")),
                    Instant.parse(n.get("start_time").asText()),
                    text(n, "stop_time") == null ? null : Instant.parse(text(n, "stop_time")),
                    WalFileName.orNull(text(n, "first_segment")),
                    WalFileName.orNull(text(n, "last_segment")),
                    n.get("plain_size").asLong(),
                    n.get("stored_size").asLong(),
                    text(n, "sha256"),
                    n.get("storage_key").asText(),
                    text(n, "key_id"),
                    backupManifest(n.get("backup_manifest")),
                    RetentionState.parse(text(n, "retention")),
                    SnapshotLineage.parse(text(n, "lineage")));
        } catch (IOException | RuntimeException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    key + " is not a readable snapshot manifest: " + e.getMessage(),
                    "restore the object from a bucket version, or remove that snapshot's directory from the rebuild",
                    e);
        }
    }

    /** The reference; null where there is none, or where an earlier version wrote the manifest itself here. */
    private static BackupManifest backupManifest(JsonNode m) {
        if (m == null || !m.isObject()) {
            return null;
        }
        return new BackupManifest(
                m.path("storage_key").asText(),
                m.path("sha256").asText(),
                m.path("size").asLong());
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static void require(String key, Map<String, String> m, String kind) {
        if (!kind.equals(m.get(KIND))) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    key + " does not describe itself as a " + kind + " (metadata " + m + ")",
                    "this object was not written by pitr; move it out of the repository");
        }
    }
}
