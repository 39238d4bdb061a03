package dev.pitr.wal;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.ObjectDescriptions;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.config.Repository;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Ships the segment pg_receivewal is still writing, as it grows, so that the archive's recovery point trails the
 * primary by a poll interval rather than by a whole segment, without {@code archive_timeout}. Each pass reads the
 * {@code .partial} file's WAL records ({@link WalRecords}: page headers, links and CRCs checked) and ships the bytes
 * from the end of the last chunk to the end of the last complete record as one more chunk, then records the partial
 * segment's new length, checksum and time index in the catalog ({@link Catalog#recordPartial}). What is shipped
 * therefore ends on a record boundary and never holds a torn or unwritten record; a chunk is recorded only after it is
 * stored. When the complete segment is archived, {@link #completed} drops the partial's record and its chunks.
 *
 * <p>Nothing is acknowledged here: the spool keeps the {@code .partial} file until pg_receivewal completes it and the
 * complete segment is shipped. Memory: one segment is mapped, not read onto the heap; each chunk is at most the WAL
 * written in one poll interval, and is copied once to be stored.
 */
public final class PartialShipper {

    /** Where chunks live: their own prefix, so that nothing that lists {@code wal/} mistakes one for a segment. */
    public static final String PREFIX = PartialSegment.KEY_ROOT;

    private final Repository repo;
    private final Clock clock;
    private final Duration interval;
    private final Map<String, State> states = new HashMap<>();

    /** What this process knows of one partial segment. */
    private static final class State {
        PartialSegment recorded;
        MessageDigest sha;
        long modified;
        /** When the last chunk was shipped. */
        Instant shippedAt;
        /** Set when the file does not start with what was shipped before: shipping it stops, loudly, once. */
        String refused;
    }

    /** Ships on every pass. */
    public PartialShipper(Repository repo, Clock clock) {
        this(repo, clock, Duration.ZERO);
    }

    /**
     * Ships a segment's growth at most every {@code interval} ({@code wal.partial_interval_millis}): each chunk costs a
     * PUT and a catalog write, and the recovery point trails by about that much more.
     */
    public PartialShipper(Repository repo, Clock clock, Duration interval) {
        this.repo = repo;
        this.clock = clock;
        this.interval = interval;
    }

    /** The prefix of segment {@code name}'s chunks. */
    public static String keyPrefix(SegmentName name) {
        String f = name.fileName();
        return PREFIX + f.substring(0, 16) + "/" + f + "/";
    }

    /**
     * One pass over the spool's {@code .partial} files; returns a line per chunk shipped or problem found. Storage and
     * catalog failures propagate (the next pass tries again from what was recorded).
     */
    public List<String> shipOnce(Path spool, long segmentSize) {
        List<String> out = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(spool)) {
            files = s.filter(p ->
                            PartialSegments.isPartialSegment(p.getFileName().toString()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            return out;
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            name = name.substring(0, name.length() - PartialSegments.SUFFIX.length());
            String line = ship(f, SegmentName.parse(name, segmentSize));
            if (line != null) {
                out.add(line);
            }
        }
        return out;
    }

    private String ship(Path file, SegmentName seg) {
        String name = seg.fileName();
        State st = states.computeIfAbsent(name, n -> new State());
        if (st.refused != null) {
            return null;
        }
        long modified;
        try {
            modified = Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return null; // completed (renamed) or removed since the listing
        }
        if (st.recorded != null && modified == st.modified) {
            return null;
        }
        if (st.shippedAt != null && clock.instant().isBefore(st.shippedAt.plus(interval))) {
            return null;
        }
        MappedByteBuffer body = null;
        try (FileChannel ch = FileChannel.open(file)) {
            if (ch.size() < seg.segmentSize()) {
                return null; // pg_receivewal pads a new segment to full size before it writes WAL into it
            }
            body = MappedFiles.map(ch, seg.segmentSize());
            if (st.sha == null && !resume(st, seg, body)) {
                return st.refused;
            }
            WalRecords.Result r = WalRecords.read(seg, body, null);
            long shipped = st.recorded == null ? 0 : st.recorded.bytes();
            long complete = r.completeBytes();
            st.modified = modified;
            if (complete <= shipped) {
                return null;
            }
            // written from the mapping, a piece at a time, and hashed as written: the digest is of the bytes stored
            ByteBuffer chunk = body.slice((int) shipped, (int) (complete - shipped));
            MessageDigest next = (MessageDigest) st.sha.clone();
            SegmentIndex index = SegmentIndex.ofPrefix(r);
            String key = keyPrefix(seg) + String.format("%08X-%08X", shipped, complete);
            ObjectCodec.Stored stored = repo.codec()
                    .put(
                            repo.storage(),
                            key,
                            Map.of(
                                    ObjectDescriptions.KIND,
                                    "partial-chunk",
                                    "pitr-name",
                                    name,
                                    "pitr-chunk",
                                    shipped + "-" + complete),
                            o -> {
                                byte[] piece = new byte[64 << 10];
                                while (chunk.hasRemaining()) {
                                    int n = Math.min(piece.length, chunk.remaining());
                                    chunk.get(piece, 0, n);
                                    next.update(piece, 0, n);
                                    o.write(piece, 0, n);
                                }
                            });
            if (chunk.hasRemaining()) {
                throw new IOException("the chunk of " + name + " was not written whole");
            }
            String sha = HexFormat.of().formatHex(((MessageDigest) next.clone()).digest());
            PartialSegment p = st.recorded == null
                    ? new PartialSegment(
                            seg,
                            List.of(complete),
                            sha,
                            stored.storedSize(),
                            keyPrefix(seg),
                            stored.keyId(),
                            clock.instant(),
                            index)
                    : st.recorded.extend(complete, sha, stored.storedSize(), stored.keyId(), clock.instant(), index);
            repo.catalog().recordPartial(p);
            st.recorded = p;
            st.shippedAt = clock.instant();
            st.sha = next;
            return "shipped " + name + " up to " + p.endLsn() + " (" + (complete - shipped) + " -> "
                    + stored.storedSize() + " bytes)";
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | CloneNotSupportedException e) {
            throw new java.io.UncheckedIOException(new IOException("cannot ship " + file + ": " + e.getMessage(), e));
        } finally {
            // the chunk and the index are copies: nothing refers to the mapping any more
            MappedFiles.unmap(body);
        }
    }

    /**
     * Picks up where an earlier capture left off: the recorded partial, checked against the file's first bytes. A file
     * that does not start with what was shipped is refused (and said so); the complete segment still ships as usual.
     */
    private boolean resume(State st, SegmentName seg, ByteBuffer body) {
        st.sha = sha256();
        PartialSegment p = repo.catalog().partial(seg.walFileName()).orElse(null);
        if (p == null) {
            return true;
        }
        byte[] prefix = new byte[(int) p.bytes()];
        body.get(0, prefix);
        st.sha.update(prefix);
        String got = HexFormat.of().formatHex(((MessageDigest) cloneOf(st.sha)).digest());
        if (!got.equals(p.sha256())) {
            st.refused = "not shipping " + seg.fileName() + " as it grows: its first " + p.bytes()
                    + " bytes differ from what was shipped before (sha256 " + got + ", recorded " + p.sha256() + ")";
            return false;
        }
        st.recorded = p;
        return true;
    }

    /**
     * The complete segment {@code fileName} is archived: its partial record goes first, then its chunks, so the catalog
     * never names a chunk that is gone (a reader that raced the removal finds the complete segment instead). Returns
     * what went wrong removing the chunks, if anything; {@link #sweep} finds what is left.
     */
    public Optional<String> completed(String fileName) {
        states.remove(fileName);
        WalFileName name = WalFileName.of(fileName);
        PartialSegment p = repo.catalog().partial(name).orElse(null);
        if (p == null) {
            return Optional.empty();
        }
        repo.catalog().forgetPartial(name);
        // one request for the lot; an envelope only where the chunks were encrypted, never a key that was not written
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < p.chunkEnds().size(); i++) {
            keys.add(p.chunkKey(i));
            if (p.keyId() != null) {
                keys.add(ObjectCodec.envelopeKey(p.chunkKey(i)));
            }
        }
        return remove(keys);
    }

    /**
     * Removes chunks no longer needed. A store that refuses the delete (a policy without {@code s3:DeleteObject} on
     * {@value #PREFIX}) gets them tagged expired instead, for its lifecycle rule; one that refuses both keeps them
     * until {@link #sweep} finds them again, and the problem is returned to be said.
     */
    private Optional<String> remove(List<String> keys) {
        if (keys.isEmpty()) {
            return Optional.empty();
        }
        try {
            repo.storage().deleteAll(keys);
            return Optional.empty();
        } catch (PitrException deleting) {
            try {
                for (String k : keys) {
                    repo.storage().expire(k);
                }
                return Optional.of("cannot delete " + keys.size() + " chunks of a finished partial segment ("
                        + deleting.getMessage() + "); tagged them expired for the bucket's lifecycle rule instead."
                        + " Allow the archiving host s3:DeleteObject on " + PREFIX + "*");
            } catch (PitrException tagging) {
                return Optional.of("cannot delete or tag " + keys.size() + " chunks of a finished partial segment ("
                        + deleting.getMessage() + "; " + tagging.getMessage() + "); the next capture start tries"
                        + " again. Allow the archiving host s3:DeleteObject on " + PREFIX + "*");
            }
        }
    }

    /**
     * Partials whose complete segment is archived already (a capture stopped between the two), and chunks in storage
     * that no partial record names while their segment is complete (a removal refused before): removes both now.
     * Returns what went wrong.
     */
    public List<String> sweep() {
        List<String> problems = new ArrayList<>();
        for (PartialSegment p : repo.catalog().partials()) {
            if (repo.catalog().segment(p.name().walFileName()).isPresent()) {
                completed(p.name().fileName()).ifPresent(problems::add);
            }
        }
        List<String> left = new ArrayList<>();
        for (String key : concat(repo.storage().list(PREFIX), repo.storage().list(ObjectCodec.envelopeKey(PREFIX)))) {
            // <envelopes/>partial/<timeline and log>/<segment>/<range>
            String[] parts = key.split("/", -1);
            if (parts.length >= 3 && SegmentName.isSegmentFileName(parts[parts.length - 2])) {
                WalFileName name = WalFileName.of(parts[parts.length - 2]);
                if (repo.catalog().partial(name).isEmpty()
                        && repo.catalog().segment(name).isPresent()) {
                    left.add(key);
                }
            }
        }
        remove(left).ifPresent(problems::add);
        return problems;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object cloneOf(MessageDigest d) {
        try {
            return d.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
