package dev.pitr.wal;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code .partial} segment pg_receivewal is writing. pg_receivewal creates it by padding an empty file with zeros
 * to the full segment size before it writes any WAL, and on restart refuses a file of any other size than 0 or the
 * segment size. A receiver killed during that padding therefore leaves a file that holds nothing but zeros and blocks
 * every later start. {@link #finishInterruptedPadding} completes such a padding, which is exactly what pg_receivewal
 * would have done; a short file holding anything but zeros is never touched.
 */
public final class PartialSegments {

    static final String SUFFIX = ".partial";

    private PartialSegments() {}

    /** True for the name of a segment pg_receivewal is still writing: a segment name plus {@code .partial}. */
    static boolean isPartialSegment(String fileName) {
        return fileName.endsWith(SUFFIX)
                && SegmentName.isSegmentFileName(fileName.substring(0, fileName.length() - SUFFIX.length()));
    }

    /**
     * The free space pg_receivewal needs in {@code spool} to go on and then start the segment after: the padding a
     * short {@code .partial} still lacks, plus one whole segment, which it writes at full size before any WAL goes in.
     * Capture does not start it with less, and {@code pitr status} calls the spool full below this.
     */
    public static long roomNeeded(Path spool, long segmentSize) {
        long missing = 0;
        try (Stream<Path> files = Files.list(spool)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (isPartialSegment(name)) {
                    missing += Math.max(0, segmentSize - Files.size(f));
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // a file gone while looking: pg_receivewal renamed it, which needs no room
        }
        return missing + segmentSize;
    }

    /**
     * Pads every short, all-zero {@code .partial} segment in {@code spool} to {@code segmentSize} bytes and fsyncs it.
     *
     * @return the names of the files padded
     * @throws PitrException {@link ErrorCode#LOCAL_IO} if a short or oversized {@code .partial} holds data
     */
    public static List<String> finishInterruptedPadding(Path spool, long segmentSize) {
        List<String> padded = new ArrayList<>();
        try (Stream<Path> files = Files.list(spool)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!isPartialSegment(name)) {
                    continue;
                }
                long size = Files.size(f);
                if (size == 0 || size == segmentSize) {
                    continue;
                }
                if (size > segmentSize || !allZero(f)) {
                    throw new PitrException(
                            ErrorCode.LOCAL_IO,
                            f + " has " + size + " bytes of which some are WAL, but a segment is " + segmentSize
                                    + " bytes",
                            "pg_receivewal cannot resume from it; move it out of the spool after checking what it holds");
                }
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ByteBuffer zeros = ByteBuffer.allocate(8192);
                    long pos = size;
                    while (pos < segmentSize) {
                        zeros.clear().limit((int) Math.min(zeros.capacity(), segmentSize - pos));
                        pos += ch.write(zeros, pos);
                    }
                    ch.force(true);
                }
                padded.add(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return padded;
    }

    /**
     * Makes pg_receivewal start at segment {@code fileName} when {@code spool} holds no WAL it would resume from: a
     * {@code .partial} of that name padded with zeros, as pg_receivewal itself begins one. Only a server of 15 or later
     * tells pg_receivewal where its slot stands ({@code READ_REPLICATION_SLOT}); an older one would have it start at
     * the server's current position and skip what the slot kept for it since capture last ran.
     *
     * @return true when the file was made, false when the spool already says where to start
     */
    public static boolean seedResumePoint(Path spool, String fileName, long segmentSize) {
        try (Stream<Path> files = Files.list(spool)) {
            boolean resumable = files.map(f -> f.getFileName().toString())
                    .anyMatch(n -> SegmentName.isSegmentFileName(n) || isPartialSegment(n));
            if (resumable) {
                return false;
            }
            Path seed = spool.resolve(fileName + SUFFIX);
            Path tmp = spool.resolve(fileName + SUFFIX + ".seeding");
            // what a capture killed while seeding left
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer zeros = ByteBuffer.allocate(65536);
                for (long pos = 0; pos < segmentSize; ) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), segmentSize - pos));
                    pos += ch.write(zeros, pos);
                }
                ch.force(true);
            }
            Files.move(tmp, seed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot make " + fileName + SUFFIX + " in " + spool + ": " + e.getMessage(),
                    "check the spool's free space and permissions");
        }
    }

    /** True when {@code f} is a file that holds nothing but zeros (a seed or a padding no WAL went into yet). */
    static boolean unwritten(Path f) {
        try {
            return Files.isRegularFile(f) && allZero(f);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean allZero(Path f) throws IOException {
        byte[] buf = new byte[65536];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
