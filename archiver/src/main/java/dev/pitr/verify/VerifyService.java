package dev.pitr.verify;

import dev.pitr.backup.ManifestFiles;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotParts;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.config.Repository;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.wal.WalRecords;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Checks what storage holds against the catalog, per timeline: history files, WAL segments and snapshots.
 *
 * <ul>
 *   <li>The quick pass asks storage about each object (that it is there, its stored size, the envelope of an
 *       encrypted one) and reads only a snapshot's small index of parts.
 *   <li>The deep pass ({@code deep}) also reads and decodes every object (decrypts, decompresses) and checks the plain
 *       bytes' sha256; each segment's WAL records are read, with the next segment's start at hand, so a record that
 *       crosses into the next segment is checked whole; each part of a snapshot is read as a tar, and a full's every
 *       file is checked against its {@code backup_manifest}, with nothing written to disk.
 * </ul>
 *
 * A failure of storage or the catalog to answer is no finding: it stops the verification with its own code. Reads go
 * through {@link Throttled}, within the bytes-a-second budget given.
 */
public final class VerifyService {

    /** What failed, of which object. */
    public record Problem(long timeline, String kind, String object, String what) {}

    /** The objects checked on one timeline, and how many failed. */
    public record Timeline(long timeline, int histories, int segments, int snapshots, int failed) {}

    /** The outcome: per timeline, every problem, the bytes read from storage. */
    public record Report(boolean deep, List<Timeline> timelines, List<Problem> problems, long bytesRead) {
        public boolean passed() {
            return problems.isEmpty();
        }
    }

    private final Repository repo;
    private final PrintWriter log;
    private final Throttled storage;

    /** Verifies {@code repo}, reading at most {@code bytesPerSecond} from storage (0: no limit). */
    public VerifyService(Repository repo, long bytesPerSecond, PrintWriter log) {
        this.repo = repo;
        this.log = log;
        this.storage = new Throttled(repo.storage(), bytesPerSecond);
    }

    /** Verifies every object of the catalog whose time falls in {@code [from, to]} (null: open). */
    public Report verify(Instant from, Instant to, boolean deep) {
        List<Problem> problems = new ArrayList<>();
        Map<Long, int[]> counts = new TreeMap<>();
        for (HistoryRecord h : repo.catalog().histories()) {
            if (!inRange(h.archivedAt(), from, to)) {
                continue;
            }
            count(counts, h.timeline().value(), 0);
            history(h, deep)
                    .ifPresent(
                            what -> problems.add(new Problem(h.timeline().value(), "history", h.storageKey(), what)));
        }
        Map<Long, List<SegmentRecord>> byTimeline = new TreeMap<>();
        for (SegmentRecord s : repo.catalog().allSegments()) {
            if (inRange(s.archivedAt(), from, to)) {
                byTimeline
                        .computeIfAbsent(s.name().timeline().value(), t -> new ArrayList<>())
                        .add(s);
            }
        }
        for (var e : byTimeline.entrySet()) {
            List<SegmentRecord> segs = e.getValue();
            segs.sort(Comparator.comparing(SegmentRecord::name));
            note("timeline " + e.getKey() + ": " + segs.size() + " segment(s)" + (deep ? ", reading each" : ""));
            segments(e.getKey(), segs, deep, problems, counts);
        }
        for (SnapshotRecord s : repo.catalog().snapshots()) {
            if (s.status() != SnapshotRecord.Status.COMPLETE || !inRange(s.stopTime(), from, to)) {
                continue;
            }
            count(counts, s.timeline().value(), 2);
            for (String what : snapshot(s, deep)) {
                problems.add(new Problem(s.timeline().value(), "snapshot", s.id().value(), what));
            }
        }
        for (PartialSegment p : repo.catalog().partials()) {
            if (inRange(p.archivedAt(), from, to)) {
                count(counts, p.name().timeline().value(), 1);
                partial(p, deep)
                        .ifPresent(what ->
                                problems.add(new Problem(p.name().timeline().value(), "segment", p.keyPrefix(), what)));
            }
        }
        // what the objects add up to, whatever the range: every gap a restore could not replay through (retention's
        // expired stretches and timelines branching off are none), every broken chain, and a snapshot to start from
        RestoreWindow window = RestoreWindow.of(repo.catalog());
        for (RestoreWindow.Timeline t : window.all()) {
            for (RestoreWindow.Gap g : t.gaps()) {
                if (g.kind() != RestoreWindow.GapKind.EXPIRED && g.kind() != RestoreWindow.GapKind.TIMELINE_BRANCH) {
                    problems.add(new Problem(
                            t.timeline().value(),
                            "window",
                            g.files().isEmpty()
                                    ? g.kind()
                                            .name()
                                            .toLowerCase(java.util.Locale.ROOT)
                                            .replace('_', '-')
                                    : String.join(",", g.files()),
                            g.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " from " + g.from()
                                    + " to " + g.to() + (g.detail() == null ? "" : ": " + g.detail())));
                    counts.computeIfAbsent(t.timeline().value(), x -> new int[3]);
                }
            }
        }
        if (window.snapshots().isEmpty()) {
            problems.add(new Problem(0, "window", "snapshots", "no complete snapshot: nothing can be restored"));
        }
        List<Timeline> timelines = new ArrayList<>();
        counts.forEach((tli, c) -> timelines.add(new Timeline(tli, c[0], c[1], c[2], (int)
                problems.stream().filter(p -> p.timeline() == tli).count())));
        return new Report(deep, timelines, problems, storage.bytesRead());
    }

    private static boolean inRange(Instant t, Instant from, Instant to) {
        return t == null || ((from == null || !t.isBefore(from)) && (to == null || !t.isAfter(to)));
    }

    private static void count(Map<Long, int[]> counts, long timeline, int kind) {
        counts.computeIfAbsent(timeline, t -> new int[3])[kind]++;
    }

    private Optional<String> history(HistoryRecord h, boolean deep) {
        Optional<String> stored = stored(h.storageKey(), h.storedSize(), false);
        if (stored.isPresent() || !deep) {
            return stored;
        }
        try (InputStream in = repo.codec().open(storage, h.storageKey(), false)) {
            String sha = Sha256.of(in.readAllBytes());
            return sha.equals(h.sha256())
                    ? Optional.empty()
                    : Optional.of("its plain bytes' sha256 is " + sha + ", the catalog says " + h.sha256());
        } catch (IOException e) {
            return Optional.of("cannot be decoded: " + unlessStorage(e));
        } catch (PitrException e) {
            return objectFault(e);
        }
    }

    /**
     * The segments of one timeline in order. Deep, each is decoded once; its WAL records are read with the next one's
     * bytes at hand when that one follows it.
     */
    private void segments(
            long tli, List<SegmentRecord> segs, boolean deep, List<Problem> problems, Map<Long, int[]> counts) {
        ByteBuffer next = null;
        Optional<String> nextProblem = Optional.empty();
        // where the last record of the segment read before starts, while segments follow each other whole
        dev.pitr.wal.Lsn link = null;
        long linkSegno = -2;
        for (int i = 0; i < segs.size(); i++) {
            SegmentRecord s = segs.get(i);
            if (s.name().segno() != linkSegno + 1 || s.partial()) {
                link = null;
            }
            count(counts, tli, 1);
            Optional<String> problem = stored(s.storageKey(), s.storedSize(), s.keyId() != null);
            ByteBuffer plain = null;
            if (deep && problem.isEmpty()) {
                if (next != null || nextProblem.isPresent()) {
                    plain = next;
                    problem = nextProblem;
                } else {
                    Decoded d = decodeSegment(s);
                    plain = d.bytes();
                    problem = d.problem();
                }
                next = null;
                nextProblem = Optional.empty();
                if (problem.isEmpty() && !s.partial()) {
                    SegmentRecord following = i + 1 < segs.size() ? segs.get(i + 1) : null;
                    // a segment still being written may end inside the record that crosses into it
                    boolean follows = following != null
                            && !following.partial()
                            && following.name().segno() == s.name().segno() + 1
                            && stored(following.storageKey(), following.storedSize(), following.keyId() != null)
                                    .isEmpty();
                    if (follows) {
                        Decoded d = decodeSegment(following);
                        next = d.bytes();
                        nextProblem = d.problem();
                    }
                    WalRecords.Result r = WalRecords.read(s.name(), plain, next, link);
                    // a record that crosses into the next segment is read whole; one that stops there is no
                    // finding (a crash's overwritten record, or one longer than the next segment)
                    if (r.damaged()) {
                        problem = Optional.of("its WAL does not read: " + r.stoppedBecause());
                        link = null;
                    } else if (r.stoppedBecause() != null) {
                        // its last record did not read whole across the boundary (a crash's overwritten record):
                        // what the next segment's first record links back to is not known here
                        link = null;
                    } else if (r.lastRecord() != null) {
                        link = r.lastRecord();
                    }
                    // a segment no record starts in (the middle of a long one) passes the link on
                    linkSegno = s.name().segno();
                }
            }
            problem.ifPresent(what -> problems.add(new Problem(tli, "segment", s.storageKey(), what)));
        }
    }

    private record Decoded(ByteBuffer bytes, Optional<String> problem) {}

    private Decoded decodeSegment(SegmentRecord s) {
        try (InputStream in = repo.codec().open(storage, s.storageKey(), s.keyId() != null)) {
            byte[] plain = in.readAllBytes();
            if (!Checksum.isValid(s.checksum())) {
                return new Decoded(
                        null, Optional.of("its catalog entry holds no checksum pitr writes: " + s.checksum()));
            }
            String sum = Checksum.of(plain, s.checksum());
            if (!sum.equals(s.checksum())) {
                return new Decoded(
                        null,
                        Optional.of("its plain bytes' checksum is " + sum + ", the catalog says " + s.checksum()));
            }
            return new Decoded(ByteBuffer.wrap(plain), Optional.empty());
        } catch (IOException e) {
            return new Decoded(null, Optional.of("cannot be decoded: " + unlessStorage(e)));
        } catch (PitrException e) {
            return new Decoded(null, objectFault(e));
        }
    }

    /**
     * A segment still being written: every chunk stored (and its envelope); deep, the chunks decoded and joined must
     * have the sha256 the catalog keeps.
     */
    private Optional<String> partial(PartialSegment p, boolean deep) {
        for (int i = 0; i < p.chunkEnds().size(); i++) {
            Optional<String> at = stored(p.chunkKey(i), 0, p.keyId() != null);
            if (at.isPresent()) {
                return Optional.of(p.chunkKey(i) + " " + at.get());
            }
        }
        if (!deep) {
            return Optional.empty();
        }
        Checksum sha = Checksum.sha256();
        for (int i = 0; i < p.chunkEnds().size(); i++) {
            String key = p.chunkKey(i);
            try (InputStream in = repo.codec().open(storage, key, p.keyId() != null)) {
                byte[] chunk = in.readAllBytes();
                sha.update(chunk, 0, chunk.length);
            } catch (IOException e) {
                return Optional.of(key + " cannot be decoded: " + unlessStorage(e));
            } catch (PitrException e) {
                return objectFault(e).map(w -> key + " " + w);
            }
        }
        return sha.value().equals(p.sha256())
                ? Optional.empty()
                : Optional.of("its chunks' plain bytes' sha256 is " + sha.value() + ", the catalog says " + p.sha256());
    }

    /**
     * The message of a decoding failure; a failure of storage to deliver the bytes ({@link Throttled}) is no finding
     * and stops the verification.
     */
    private static String unlessStorage(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Throttled.StorageReadException r) {
                throw new PitrException(
                        dev.pitr.error.ErrorCode.STORAGE_UNAVAILABLE,
                        "storage stopped delivering an object: " + r.getMessage(),
                        "run the verification again; it is read-only",
                        e);
            }
        }
        return e.getMessage();
    }

    /** That {@code key} is stored with {@code size} bytes (when known, above 0), and its envelope when encrypted. */
    private Optional<String> stored(String key, long size, boolean encrypted) {
        Optional<Long> at = storage.stat(key);
        if (at.isEmpty()) {
            return Optional.of("is missing from storage");
        }
        if (size > 0 && at.get() != size) {
            return Optional.of("has " + at.get() + " bytes in storage, the catalog says " + size);
        }
        if (encrypted && storage.stat(ObjectCodec.envelopeKey(key)).isEmpty()) {
            return Optional.of("its envelope " + ObjectCodec.envelopeKey(key) + " is missing: it cannot be decrypted");
        }
        return Optional.empty();
    }

    /** A snapshot's problems: its objects, and deep, their bytes and a full's every file against its manifest. */
    private List<String> snapshot(SnapshotRecord s, boolean deep) {
        List<String> problems = new ArrayList<>();
        boolean encrypted = s.keyId() != null;
        stored(
                        s.storageKey(),
                        s.storedSize() > 0 && !SnapshotParts.isIndex(s.storageKey()) ? s.storedSize() : 0,
                        encrypted)
                .ifPresent(w -> problems.add(s.storageKey() + " " + w));
        if (s.backupManifest() != null) {
            stored(s.backupManifest().storageKey(), 0, encrypted)
                    .ifPresent(w -> problems.add(s.backupManifest().storageKey() + " " + w));
        }
        if (!problems.isEmpty()) {
            return problems;
        }
        Map<String, ManifestFiles.Entry> files = null;
        if (deep && s.backupManifest() != null && !s.lineage().incremental()) {
            try {
                files = new HashMap<>(ManifestFiles.parse(s.backupManifest().read(repo.codec(), storage, encrypted))
                        .entries());
            } catch (IOException e) {
                problems.add(s.backupManifest().storageKey() + " cannot be read: " + e.getMessage());
            } catch (PitrException e) {
                objectFault(e).ifPresent(w -> problems.add(s.backupManifest().storageKey() + " " + w));
            }
        }
        List<String[]> objects = new ArrayList<>();
        if (SnapshotParts.isIndex(s.storageKey())) {
            try {
                for (SnapshotParts.Part p :
                        SnapshotParts.read(repo.codec(), storage, s).parts()) {
                    objects.add(new String[] {p.storageKey(), p.checksum(), Long.toString(p.storedSize())});
                }
            } catch (IOException e) {
                problems.add(s.storageKey() + " (the index of its parts) cannot be read: " + e.getMessage());
                return problems;
            } catch (PitrException e) {
                objectFault(e).ifPresent(w -> problems.add(s.storageKey() + " " + w));
                return problems;
            }
        } else {
            objects.add(new String[] {s.storageKey(), s.sha256(), "0"});
        }
        Set<String> seen = new HashSet<>();
        for (String[] o : objects) {
            Optional<String> at = stored(o[0], Long.parseLong(o[2]), encrypted);
            if (at.isPresent()) {
                problems.add(o[0] + " " + at.get());
                continue;
            }
            if (deep) {
                readTar(o[0], o[1], encrypted, files, seen).ifPresent(w -> problems.add(o[0] + " " + w));
            }
        }
        if (files != null && problems.isEmpty()) {
            files.keySet().removeAll(seen);
            if (!files.isEmpty()) {
                problems.add("its tar lacks " + files.size() + " file(s) its backup_manifest lists, such as "
                        + files.keySet().stream().sorted().findFirst().orElseThrow());
            }
        }
        return problems;
    }

    /**
     * Reads one tar object to its end: its plain bytes' checksum ({@link Checksum}), and each file {@code files} lists against its size and
     * checksum (the names checked go into {@code seen}).
     */
    private Optional<String> readTar(
            String key, String checksum, boolean encrypted, Map<String, ManifestFiles.Entry> files, Set<String> seen) {
        if (!Checksum.isValid(checksum)) {
            return Optional.of("is recorded with no checksum pitr writes: " + checksum);
        }
        Checksum plain = Checksum.like(checksum);
        try (InputStream in = plain.wrap(repo.codec().open(storage, key, encrypted))) {
            TarArchiveInputStream tar = new TarArchiveInputStream(in);
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                ManifestFiles.Entry want = files == null || !e.isFile() ? null : files.get(e.getName());
                if (want == null) {
                    continue;
                }
                seen.add(e.getName());
                boolean summed = !want.algorithm().equals("NONE");
                ManifestFiles.Sum sum = summed ? ManifestFiles.Sum.of(want.algorithm()) : null;
                long size = 0;
                byte[] buf = new byte[1 << 16];
                for (int n; (n = tar.read(buf)) > 0; ) {
                    size += n;
                    if (summed) {
                        sum.update(buf, 0, n);
                    }
                }
                if (size != want.size()) {
                    return Optional.of("holds " + e.getName() + " with " + size + " bytes, its backup_manifest says "
                            + want.size());
                }
                if (summed && !sum.hex().equalsIgnoreCase(want.checksum())) {
                    return Optional.of("holds " + e.getName() + ", which does not match its " + want.algorithm()
                            + " checksum in backup_manifest");
                }
            }
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            return Optional.of("cannot be decoded as a tar: " + unlessStorage(e));
        } catch (PitrException e) {
            return objectFault(e);
        }
        return plain.value().equals(checksum)
                ? Optional.empty()
                : Optional.of("its plain bytes' checksum is " + plain.value() + ", expected " + checksum);
    }

    /**
     * The object's own fault, as a finding: it is damaged or cannot be opened with the keys at hand. Storage or the
     * catalog failing to answer is no finding: it passes as it is.
     */
    private static Optional<String> objectFault(PitrException e) {
        return switch (e.code()) {
            case CORRUPT_OBJECT, KEY_UNAVAILABLE -> Optional.of(e.getMessage());
            // removed between the look and the read
            case NOT_IN_ARCHIVE -> Optional.of("is missing from storage");
            default -> throw e;
        };
    }

    /** The bytes read from storage so far. */
    public long bytesRead() {
        return storage.bytesRead();
    }

    private void note(String s) {
        log.println(s);
        log.flush();
    }
}
