package dev.pitr.catalog;

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
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recreates the catalog from storage alone: every segment and history file from its object metadata, every complete
 * snapshot from its sidecar manifest. Recording is idempotent, so it runs against an empty catalog or a damaged one
 * alike; an entry that disagrees with its object is reported and left as it is. A segment object without metadata is
 * read and hashed instead.
 */
public final class CatalogRebuilder {

  /** What a rebuild found. */
  public record Result(int inserted, int alreadyPresent, int snapshots, List<String> conflicts) {}

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
    List<String> keys = storage.list("wal/");
    // an encrypted object's key id is read from its envelope: rotation rewrites envelopes, never bodies
    // histories first, as when shipping: a timeline's history precedes its segments
    List<String> ordered = new ArrayList<>(keys.stream().filter(k -> k.endsWith(".history.zst")).toList());
    keys.stream().filter(k -> !k.endsWith(".history.zst")).forEach(ordered::add);
    for (String key : ordered) {
      try {
        Catalog.Recorded r =
            key.endsWith(".history.zst") ? catalog.recordHistory(history(key)) : catalog.recordSegment(segment(key));
        if (r == Catalog.Recorded.INSERTED) {
          inserted++;
        } else {
          present++;
        }
      } catch (ArchiveConflictException e) {
        conflicts.add(e.getMessage());
        log.println("conflict: " + e.getMessage());
      }
    }
    for (String key : storage.list("snapshots/")) {
      if (!key.endsWith("/manifest.json")) {
        continue;
      }
      SnapshotRecord m = ObjectDescriptions.snapshotRecord(key, read(key));
      String keyId = envelopeKeyId(m.storageKey());
      SnapshotRecord s =
          new SnapshotRecord(
              m.id(), m.label(), m.status(), m.timeline(), m.startLsn(), m.stopLsn(), m.startTime(), m.stopTime(),
              m.firstSegment(), m.lastSegment(), m.plainSize(), m.storedSize(), m.sha256(), m.storageKey(),
              keyId != null ? keyId : m.keyId(), m.backupManifest(), m.retention());
      if (catalog.snapshot(s.id()).isPresent()) {
        present++;
        continue;
      }
      catalog.createSnapshot(s);
      snapshots++;
    }
    log.println(
        "rebuilt " + catalog.describe() + " from " + storage.describe() + ": " + inserted + " WAL files and " + snapshots
            + " snapshots recorded, " + present + " already present, " + conflicts.size() + " conflicts");
    return new Result(inserted, present, snapshots, conflicts);
  }

  private SegmentRecord segment(String key) {
    Map<String, String> meta = repo.storage().metadata(key);
    long stored = repo.storage().stat(key).orElseThrow();
    if (meta.containsKey(ObjectDescriptions.KIND)) {
      SegmentRecord r = ObjectDescriptions.segmentRecord(key, stored, meta);
      if (ObjectDescriptions.indexIncomplete(meta)) {
        r = new SegmentRecord(r.name(), r.plainSize(), r.storedSize(), r.sha256(), r.storageKey(), r.keyId(),
            r.archivedAt(), reindex(r.name()));
      }
      return meta.containsKey(ObjectCodec.ENCRYPTION) ? r.withKeyId(envelopeKeyId(key)) : r;
    }
    String name = key.substring(key.lastIndexOf('/') + 1).replace(".zst", "");
    if (!SegmentName.isSegmentFileName(name)) {
      throw new PitrException(
          ErrorCode.CORRUPT_OBJECT, key + " is neither a WAL segment nor a history file",
          "move objects pitr did not write out of the repository");
    }
    Sha256 sha = new Sha256();
    long plain;
    try (InputStream in = sha.wrap(repo.codec().open(repo.storage(), key, false))) {
      plain = in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new PitrException(ErrorCode.CORRUPT_OBJECT, key + " cannot be decoded: " + e.getMessage(), "inspect it", e);
    }
    return new SegmentRecord(
        SegmentName.parse(name, plain), plain, stored, sha.hex(), key, null, java.time.Instant.now(), null);
  }

  /** Reads a segment (and the one after it, for a record crossing the end) again to index it. */
  private SegmentIndex reindex(SegmentName name) {
    byte[] next = decoded(WalKeys.segment(name.next()));
    return SegmentIndex.of(
        WalRecords.read(name, ByteBuffer.wrap(decoded(WalKeys.segment(name))), next == null ? null : ByteBuffer.wrap(next)));
  }

  /** The plain bytes of a WAL object, or null if there is none. */
  private byte[] decoded(String key) {
    if (repo.storage().stat(key).isEmpty()) {
      return null;
    }
    try (InputStream in = repo.codec().open(repo.storage(), key, false)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new PitrException(ErrorCode.CORRUPT_OBJECT, key + " cannot be decoded: " + e.getMessage(), "inspect it", e);
    }
  }

  private HistoryRecord history(String key) {
    Map<String, String> meta = repo.storage().metadata(key);
    byte[] content;
    try (InputStream in = repo.codec().open(repo.storage(), key, false)) {
      content = in.readAllBytes();
    } catch (IOException e) {
      throw new PitrException(ErrorCode.CORRUPT_OBJECT, key + " cannot be decoded: " + e.getMessage(), "inspect it", e);
    }
    String text = new String(content, StandardCharsets.UTF_8);
    long stored = repo.storage().stat(key).orElseThrow();
    if (meta.containsKey(ObjectDescriptions.KIND)) {
      HistoryRecord h = ObjectDescriptions.historyRecord(key, stored, meta, text);
      if (!Sha256.of(content).equals(h.sha256())) {
        throw new PitrException(
            ErrorCode.CORRUPT_OBJECT, key + " does not match the checksum in its metadata", "inspect the object");
      }
      return h;
    }
    String file = key.substring(key.lastIndexOf('/') + 1).replace(".zst", "");
    if (!TimelineHistory.isHistoryFileName(file)) {
      throw new PitrException(ErrorCode.CORRUPT_OBJECT, key + " is not a history file", "inspect the object");
    }
    return new HistoryRecord(
        dev.pitr.wal.TimelineId.parseHex(file.substring(0, 8)), text, Sha256.of(content), key, stored,
        java.time.Instant.now());
  }

  /** A snapshot manifest: JSON, compressed and encrypted like every other object (early ones are plain JSON). */
  private byte[] read(String key) {
    try (InputStream raw = repo.storage().open(key)) {
      byte[] b = raw.readAllBytes();
      if (b.length > 0 && b[0] == '{') {
        return b;
      }
      try (InputStream in = repo.codec().open(repo.storage(), key, false)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new PitrException(ErrorCode.CORRUPT_OBJECT, key + " cannot be decoded: " + e.getMessage(), "inspect it", e);
    }
  }

  /** The key id of an encrypted object, from its envelope (which a rotation rewrites); null for a plain object. */
  private String envelopeKeyId(String key) {
    String env = ObjectCodec.envelopeKey(key);
    return repo.storage().stat(env).isPresent() ? repo.storage().metadata(env).get(ObjectCodec.KEY_ID) : null;
  }
}
