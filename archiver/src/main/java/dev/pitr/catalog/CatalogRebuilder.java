package dev.pitr.catalog;

import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.Storage;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.WalKeys;
import dev.pitr.wal.WalRecords;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recreates the catalog from storage alone: every segment and history file from its object metadata, every complete
 * snapshot from its sidecar manifest, and then the segment summaries from the segment records. Recording is idempotent, so it runs against an empty catalog or a damaged one
 * alike; an entry that disagrees with its object is reported and left as it is. A segment object whose metadata is
 * gone or unreadable is read instead: hashed, and indexed as capture indexes it, so that a time target can be placed
 * in it. An object that cannot be recorded at all is reported with its key and reason, and the rebuild goes on: what
 * it could record is usable.
 */
public final class CatalogRebuilder {

    /** What a rebuild found. */
    public record Result(
            int inserted, int alreadyPresent, int snapshots, List<String> conflicts, List<String> failures) {}

    private final Repository repo;
    private final PrintWriter log;

    public CatalogRebuilder(Repository repo, PrintWriter log) {
        this.repo = repo;
        this.log = log;
    }

    public Result rebuild() {
        Storage storage = repo.storage();
        Catalog catalog = repo.catalog();
        int inserted = 0;
        int present = 0;
        int snapshots = 0;
        List<String> conflicts = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        // backup history files and promoted standbys' .partial files are kept as they are, recorded nowhere
        List<String> keys =
                storage.list("wal/").stream().filter(k -> !WalKeys.isKept(k)).toList();
        // an encrypted object's key id is read from its envelope: rotation rewrites envelopes, never bodies
        // histories first, as when shipping: a timeline's history precedes its segments
        List<String> ordered = new ArrayList<>(
                keys.stream().filter(k -> k.endsWith(".history.zst")).toList());
        keys.stream().filter(k -> !k.endsWith(".history.zst")).forEach(ordered::add);
        for (String key : ordered) {
            try {
                Catalog.Recorded r = key.endsWith(".history.zst")
                        ? catalog.recordHistory(history(key))
                        : catalog.recordSegment(segment(key));
                if (r == Catalog.Recorded.INSERTED) {
                    inserted++;
                } else {
                    present++;
                }
            } catch (ArchiveConflictException e) {
                conflicts.add(e.getMessage());
                log.println("conflict: " + e.getMessage());
            } catch (RuntimeException e) {
                failed(failures, key, e);
            }
        }
        for (String key : storage.list("snapshots/")) {
            if (!key.endsWith("/manifest.json")) {
                continue;
            }
            try {
                if (snapshot(key)) {
                    snapshots++;
                } else {
                    present++;
                }
            } catch (RuntimeException e) {
                failed(failures, key, e);
            }
        }
        // the summaries status, the window and the plan read: kept with each record above, and summed up again here
        // from
        // every segment record, whatever state a damaged catalog left them in
        catalog.rebuildSegmentBlocks();
        log.println("rebuilt " + catalog.describe() + " from " + storage.describe() + ": " + inserted
                + " WAL files and " + snapshots
                + " snapshots recorded, " + present + " already present, " + conflicts.size() + " conflicts, "
                + failures.size() + " objects that could not be recorded");
        log.flush();
        return new Result(inserted, present, snapshots, conflicts, failures);
    }

    /**
     * Notes an object that cannot be recorded, and goes on. Only the object's own fault is passed over (it is damaged,
     * or its description cannot be read): storage, the catalog or a key being unavailable is no fault of the object, and
     * reporting it as one could have an operator remove good objects, so that stops the rebuild with its own code.
     */
    private void failed(List<String> failures, String key, RuntimeException e) {
        if (e instanceof PitrException p && p.code() != ErrorCode.CORRUPT_OBJECT) {
            throw p;
        }
        String reason = key + ": " + (e instanceof PitrException ? e.getMessage() : e.toString());
        failures.add(reason);
        log.println("not recorded: " + reason);
    }

    /** Records the snapshot {@code key} describes; false when the catalog already has it. */
    private boolean snapshot(String key) {
        Catalog catalog = repo.catalog();
        SnapshotRecord m = ObjectDescriptions.snapshotRecord(key, read(key));
        String keyId = envelopeKeyId(m.storageKey());
        SnapshotRecord s = new SnapshotRecord(
                m.id(),
                m.label(),
                m.status(),
                m.timeline(),
                m.startLsn(),
                m.stopLsn(),
                m.startTime(),
                m.stopTime(),
                m.firstSegment(),
                m.lastSegment(),
                m.plainSize(),
                m.storedSize(),
                m.sha256(),
                m.storageKey(),
                keyId != null ? keyId : m.keyId(),
                m.backupManifest(),
                m.retention(),
                m.lineage());
        if (catalog.snapshot(s.id()).isPresent()) {
            return false;
        }
        catalog.createSnapshot(s);
        return true;
    }

    private SegmentRecord segment(String key) {
        Map<String, String> meta = repo.storage().metadata(key);
        long stored = repo.storage().stat(key).orElseThrow();
        if (meta.containsKey(ObjectDescriptions.KIND)) {
            SegmentRecord r = null;
            try {
                r = ObjectDescriptions.segmentRecord(key, stored, meta);
            } catch (RuntimeException e) {
                log.println("the metadata of " + key + " is unreadable (" + e.getMessage()
                        + "); reading the object instead");
            }
            if (r != null) {
                if (ObjectDescriptions.indexIncomplete(meta)) {
                    r = new SegmentRecord(
                            r.name(),
                            r.plainSize(),
                            r.storedSize(),
                            r.checksum(),
                            r.storageKey(),
                            r.keyId(),
                            r.archivedAt(),
                            reindex(r.name()));
                }
                return meta.containsKey(ObjectCodec.ENCRYPTION) ? r.withKeyId(envelopeKeyId(key)) : r;
            }
        }
        String name = key.substring(key.lastIndexOf('/') + 1).replace(".zst", "");
        if (!SegmentName.isSegmentFileName(name)) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    key + " is neither a WAL segment nor a history file",
                    "move objects pitr did not write out of the repository");
        }
        byte[] plain = decoded(key);
        SegmentName segment = SegmentName.parse(name, plain.length);
        byte[] next = decoded(WalKeys.segment(segment.next()));
        SegmentIndex index = SegmentIndex.of(
                WalRecords.read(segment, ByteBuffer.wrap(plain), next == null ? null : ByteBuffer.wrap(next)));
        String keyId = envelopeKeyId(key);
        Checksum sum = Checksum.forBodies(keyId != null);
        sum.update(plain, 0, plain.length);
        return new SegmentRecord(segment, plain.length, stored, sum.value(), key, keyId, Instant.now(), index);
    }

    /** Reads a segment (and the one after it, for a record crossing the end) again to index it. */
    private SegmentIndex reindex(SegmentName name) {
        byte[] next = decoded(WalKeys.segment(name.next()));
        return SegmentIndex.of(WalRecords.read(
                name, ByteBuffer.wrap(decoded(WalKeys.segment(name))), next == null ? null : ByteBuffer.wrap(next)));
    }

    /** The plain bytes of a WAL object, or null if there is none. */
    private byte[] decoded(String key) {
        if (repo.storage().stat(key).isEmpty()) {
            return null;
        }
        try (InputStream in = repo.codec().open(repo.storage(), key, false)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT, key + " cannot be decoded: " + e.getMessage(), "inspect it", e);
        }
    }

    private HistoryRecord history(String key) {
        Map<String, String> meta = repo.storage().metadata(key);
        byte[] content;
        try (InputStream in = repo.codec().open(repo.storage(), key, false)) {
            content = in.readAllBytes();
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT, key + " cannot be decoded: " + e.getMessage(), "inspect it", e);
        }
        String text = new String(content, StandardCharsets.UTF_8);
        long stored = repo.storage().stat(key).orElseThrow();
        if (meta.containsKey(ObjectDescriptions.KIND)) {
            HistoryRecord h = ObjectDescriptions.historyRecord(key, stored, meta, text);
            if (!Sha256.of(content).equals(h.sha256())) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        key + " does not match the checksum in its metadata",
                        "inspect the object");
            }
            return h;
        }
        String file = key.substring(key.lastIndexOf('/') + 1).replace(".zst", "");
        if (!TimelineHistory.isHistoryFileName(file)) {
            throw new PitrException(ErrorCode.CORRUPT_OBJECT, key + " is not a history file", "inspect the object");
        }
        return new HistoryRecord(
                dev.pitr.wal.TimelineId.parseHex(file.substring(0, 8)),
                text,
                Sha256.of(content),
                key,
                stored,
                Instant.now());
    }

    /** A snapshot manifest: JSON, compressed and encrypted like every other object (early ones are plain JSON). */
    private byte[] read(String key) {
        try (InputStream raw = repo.storage().open(key)) {
            byte[] b = raw.readAllBytes();
            if (b.length > 0 && b[0] == '{') {
                if (!repo.codec().plainAccepted()) {
                    throw new PitrException(
                            ErrorCode.CORRUPT_OBJECT,
                            key + " is not encrypted, and every object of this" + " repository must be",
                            "restore it from a bucket version; someone without the key may have put it there");
                }
                return b;
            }
            try (InputStream in = repo.codec().open(repo.storage(), key, false)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT, key + " cannot be decoded: " + e.getMessage(), "inspect it", e);
        }
    }

    /** The key id of an encrypted object, from its envelope (which a rotation rewrites); null for a plain object. */
    private String envelopeKeyId(String key) {
        String env = ObjectCodec.envelopeKey(key);
        return repo.storage().stat(env).isPresent()
                ? repo.storage().metadata(env).get(ObjectCodec.KEY_ID)
                : null;
    }
}
