package dev.pitr.wal;

import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.codec.Checksum;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.ObjectNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;

/**
 * The restore_command: brings one archived file back to the path PostgreSQL asked for. The bytes are decoded into a
 * temporary file beside the destination and checked against the catalog's checksum before they are renamed into
 * place, so PostgreSQL never sees a partial or damaged file.
 */
public final class WalFetcher {

    /**
     * What {@code wal fetch} exits with for a file the archive does not hold when restore_command wraps it: any exit of
     * 1 to 125 ends recovery, and a JVM that cannot start exits 1, so the wrapper takes only this code for "absent".
     */
    public static final int WRAPPED_ABSENT_EXIT = 79;

    private final Repository repo;
    private final UserPrincipal owner;

    public WalFetcher(Repository repo) {
        this(repo, null);
    }

    /** A fetcher whose files end up owned by {@code owner} (when it runs as root on the server's behalf). */
    public WalFetcher(Repository repo, UserPrincipal owner) {
        this.repo = repo;
        this.owner = owner;
    }

    /** Fetches {@code fileName} to {@code dest}; a file the archive does not hold is {@code not-in-archive}. */
    public long fetch(String fileName, Path dest) {
        if (SegmentName.isSegmentFileName(fileName)) {
            WalFileName name = WalFileName.of(fileName);
            Optional<SegmentRecord> complete = repo.catalog().segment(name);
            if (complete.isEmpty()) {
                Optional<PartialSegment> partial = repo.catalog().partial(name);
                if (partial.isPresent()) {
                    try {
                        return intoPlace(dest, ch -> writePartial(partial.get(), ch));
                    } catch (Superseded e) {
                        // its chunks went because the complete segment was archived meanwhile
                        complete = repo.catalog().segment(name);
                    }
                }
            }
            SegmentRecord r = complete.orElseThrow(() -> notInArchive(fileName));
            return intoPlace(
                    dest,
                    ch -> writeObject(fileName, r.storageKey(), r.keyId() != null, r.checksum(), r.plainSize(), ch));
        }
        if (TimelineHistory.isHistoryFileName(fileName)) {
            TimelineId tli = TimelineId.parseHex(fileName.substring(0, 8));
            HistoryRecord h = repo.catalog().history(tli).orElseThrow(() -> notInArchive(fileName));
            return intoPlace(dest, ch -> writeObject(fileName, h.storageKey(), false, h.sha256(), -1, ch));
        }
        // .backup files and .partial segments are never archived; saying so ends the archive for this name only
        throw notInArchive(fileName);
    }

    /** What goes into the temporary file; returns the bytes that count (the plain size). */
    private interface Body {
        long writeTo(FileChannel ch) throws IOException;
    }

    /** Thrown by {@link #writePartial} when a chunk is gone because the complete segment replaced the partial one. */
    private static final class Superseded extends RuntimeException {
        Superseded() {
            super(null, null, false, false);
        }
    }

    /**
     * Writes {@code body} into a temporary file beside {@code dest}, forces it to disk, hands it to the server's OS user
     * and renames it into place: PostgreSQL sees the whole file or nothing, and the temporary file never survives.
     */
    private long intoPlace(Path dest, Body body) {
        Path temp = dest.resolveSibling(".pitr-fetch-" + dest.getFileName() + "-"
                + ProcessHandle.current().pid());
        try {
            long bytes;
            try (FileChannel ch = FileChannel.open(
                    temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                bytes = body.writeTo(ch);
                ch.force(true);
            }
            if (owner != null) {
                Files.setOwner(temp, owner);
            }
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return bytes;
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot write " + dest + ": " + e.getMessage(),
                    "check the data directory's permissions",
                    e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // best effort; the name is hidden from PostgreSQL
            }
        }
    }

    /** One archived object's plain bytes, checked against the catalog's checksum (and size, when known). */
    private long writeObject(
            String fileName, String key, boolean encrypted, String expected, long expectedSize, FileChannel ch)
            throws IOException {
        Checksum sum = Checksum.recordedFor(fileName, expected);
        OutputStream out = sum.wrap(Channels.newOutputStream(ch));
        try (InputStream in = repo.codec().open(repo.storage(), key, encrypted)) {
            in.transferTo(out);
        } catch (ObjectNotFoundException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    fileName + " is in the catalog but its object " + key + " is missing from storage",
                    "the archive is damaged; run 'pitr wal sync' on the capture host or restore an earlier target",
                    e);
        } catch (IOException e) {
            throw corrupt(key, fileName, e);
        }
        out.flush();
        if (!sum.value().equals(expected) || (expectedSize >= 0 && sum.bytes() != expectedSize)) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    fileName + " failed verification: checksum " + sum.value() + " and " + sum.bytes()
                            + " bytes, catalog says " + expected,
                    "the archived object is damaged; recovery was stopped so that no bad WAL is replayed");
        }
        return sum.bytes();
    }

    /**
     * A segment still being written, as far as it was shipped: its chunks in order, checked against the recorded
     * checksum, then zeroes to the segment's size, which is how PostgreSQL itself leaves a segment it has not finished
     * (recovery reads up to the last complete record and finds the end of the WAL there).
     */
    private long writePartial(PartialSegment p, FileChannel ch) throws IOException {
        WalFileName fileName = p.name().walFileName();
        Checksum sha = Checksum.sha256();
        OutputStream out = sha.wrap(Channels.newOutputStream(ch));
        for (int i = 0; i < p.chunkEnds().size(); i++) {
            try (InputStream in = repo.codec().open(repo.storage(), p.chunkKey(i), p.keyId() != null)) {
                in.transferTo(out);
            } catch (ObjectNotFoundException e) {
                if (repo.catalog().segment(fileName).isPresent()) {
                    throw new Superseded();
                }
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        fileName + " was shipped while it was written, but its chunk " + p.chunkKey(i) + " is missing",
                        "the archive is damaged; restore an earlier target",
                        e);
            } catch (IOException e) {
                throw corrupt(p.chunkKey(i), fileName.text(), e);
            }
        }
        out.flush();
        if (!sha.value().equals(p.sha256()) || sha.bytes() != p.bytes()) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    fileName + " (shipped while written) failed verification: sha256 " + sha.value() + " and "
                            + sha.bytes() + " bytes, catalog says " + p.sha256() + " and " + p.bytes(),
                    "the archived object is damaged; recovery was stopped so that no bad WAL is replayed");
        }
        // the rest of the segment reads as zeroes, as the unwritten part of a segment PostgreSQL is still writing
        ch.write(java.nio.ByteBuffer.allocate(1), p.name().segmentSize() - 1);
        return p.bytes();
    }

    private static PitrException corrupt(String key, String fileName, IOException e) {
        return new PitrException(
                ErrorCode.CORRUPT_OBJECT,
                "cannot decode " + key + " (" + fileName + "): " + e.getMessage(),
                "the archived object is damaged; recovery was stopped so that no bad WAL is replayed",
                e);
    }

    private static PitrException notInArchive(String fileName) {
        return new PitrException(
                ErrorCode.NOT_IN_ARCHIVE,
                fileName + " is not in the archive",
                "this is how recovery learns where the archive ends");
    }
}
