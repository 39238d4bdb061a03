package dev.pitr.crypto;

import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.Storage;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.WalFileName;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the objects whose data key is still wrapped by a key other than the current one, and rewraps them. Only the
 * small envelopes under {@code envelopes/} are read and rewritten; object bodies are never downloaded or uploaded.
 * Each envelope is replaced atomically, so a rotation that stops part-way leaves every object readable with either
 * key, and running it again finishes the job.
 */
public final class KeyRotation {

    /** One object and the key its envelope is wrapped with. */
    public record Wrapped(String objectKey, String keyId) {}

    /** What a rotation did. */
    public record Result(int rewrapped, int alreadyCurrent) {}

    private final Repository repo;

    public KeyRotation(Repository repo) {
        this.repo = repo;
    }

    /**
     * Every stored object not wrapped by the current key (with no current key: every encrypted object), in key
     * order. Envelopes left by a write that never finished (no body beside them) are not listed.
     */
    public List<Wrapped> notWrappedByCurrentKey() {
        String current = repo.codec().keyring().current().map(KeyWrapper::keyId).orElse(null);
        List<Wrapped> out = new ArrayList<>();
        for (Wrapped w : envelopes()) {
            if (!w.keyId().equals(current)) {
                out.add(w);
            }
        }
        return out;
    }

    /** Rewraps every envelope not made with the current key; {@code log} gets one line per thousand and a summary. */
    public Result rotate(PrintWriter log) {
        KeyWrapper current = repo.codec()
                .keyring()
                .current()
                .orElseThrow(
                        () -> new PitrException(
                                ErrorCode.CONFIG_INVALID,
                                "there is no current key to rotate to (encryption.mode is none)",
                                "set encryption.mode and the new key, list the old key under encryption.retired_*, and run it again"));
        Storage storage = repo.storage();
        Map<String, SnapshotRecord> snapshots = new java.util.HashMap<>();
        repo.catalog().snapshots().forEach(s -> snapshots.put(s.storageKey(), s));
        int rewrapped = 0;
        int already = 0;
        for (Wrapped w : envelopes()) {
            if (w.keyId().equals(current.keyId())) {
                already++;
                continue;
            }
            String envKey = ObjectCodec.envelopeKey(w.objectKey());
            DataKey dk = repo.codec().dataKey(storage, w.objectKey());
            byte[] envelope = current.wrap(dk);
            storage.put(envKey, Map.of(ObjectCodec.KEY_ID, current.keyId()), out -> out.write(envelope));
            recordInCatalog(w.objectKey(), current.keyId(), snapshots);
            if (++rewrapped % 1000 == 0) {
                log.println("rewrapped " + rewrapped + " envelopes");
                log.flush();
            }
        }
        log.println("rotated to " + current.keyId() + ": " + rewrapped + " envelopes rewrapped, " + already
                + " already wrapped by it; no object body was read or written");
        log.flush();
        return new Result(rewrapped, already);
    }

    /** The catalog follows the envelope (which stays the truth: a crash between the two is repaired by a rerun). */
    private void recordInCatalog(String objectKey, String keyId, Map<String, SnapshotRecord> snapshots) {
        String file = objectKey.substring(objectKey.lastIndexOf('/') + 1);
        String name = file.endsWith(".zst") ? file.substring(0, file.length() - 4) : file;
        if (objectKey.startsWith("wal/") && SegmentName.isSegmentFileName(name)) {
            WalFileName segment = WalFileName.of(name);
            if (repo.catalog().segment(segment).isPresent()) {
                repo.catalog().recordSegmentKeyId(segment, keyId);
            }
        } else if (objectKey.startsWith("snapshots/")) {
            SnapshotRecord s = snapshots.get(objectKey);
            if (s != null) {
                repo.catalog()
                        .updateSnapshot(new SnapshotRecord(
                                s.id(),
                                s.label(),
                                s.status(),
                                s.timeline(),
                                s.startLsn(),
                                s.stopLsn(),
                                s.startTime(),
                                s.stopTime(),
                                s.firstSegment(),
                                s.lastSegment(),
                                s.plainSize(),
                                s.storedSize(),
                                s.sha256(),
                                s.storageKey(),
                                keyId,
                                s.backupManifest(),
                                s.retention(),
                                s.lineage()));
            }
        }
    }

    private List<Wrapped> envelopes() {
        Storage storage = repo.storage();
        Set<String> bodies = new HashSet<>(storage.list("wal/"));
        bodies.addAll(storage.list("snapshots/"));
        // the chunks of segments shipped while written: an old timeline's last segment keeps them for good
        bodies.addAll(storage.list(dev.pitr.wal.PartialShipper.PREFIX));
        List<Wrapped> out = new ArrayList<>();
        for (String env : storage.list(ObjectCodec.ENVELOPE_PREFIX)) {
            String object = env.substring(ObjectCodec.ENVELOPE_PREFIX.length());
            if (!bodies.contains(object)) {
                continue;
            }
            String keyId = storage.metadata(env).get(ObjectCodec.KEY_ID);
            if (keyId == null) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        env + " does not name the key that wrapped it",
                        "restore it from a bucket version");
            }
            out.add(new Wrapped(object, keyId));
        }
        return out;
    }
}
