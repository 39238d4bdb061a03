package dev.pitr.wal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Whether the spool has room for {@code pg_receivewal} to go on. It writes each new segment at its full size before
 * any WAL goes into it, so with less free space than a segment it fails at the next one. Then capture receives
 * nothing: the slot keeps the WAL in the primary's pg_wal, where it grows. This says so when it happens and every
 * minute after, with how much the slot holds, and answers yes again once the rest of the current segment and the next
 * one fit ({@link PartialSegments#roomNeeded}), so the receiver does not fail again at once.
 */
final class SpoolRoom {

    private static final long MIB = 1024 * 1024;
    private static final Duration REPEAT = Duration.ofSeconds(60);

    /** The usable bytes of the filesystem that holds a directory. */
    @FunctionalInterface
    interface FreeSpace {
        long usable(Path dir) throws IOException;
    }

    static final FreeSpace FILESYSTEM = dir -> Files.getFileStore(dir).getUsableSpace();

    private final Path spool;
    private final String slot;
    private final FreeSpace freeSpace;
    private final Supplier<String> slotHolds;
    private final Clock clock;
    private final Consumer<String> log;
    private Instant fullSince;
    private Instant nextLog = Instant.EPOCH;

    /** {@code slotHolds} describes the WAL the slot keeps on the primary ("812 MiB"), for the message. */
    SpoolRoom(
            Path spool,
            String slot,
            FreeSpace freeSpace,
            Supplier<String> slotHolds,
            Clock clock,
            Consumer<String> log) {
        this.spool = spool;
        this.slot = slot;
        this.freeSpace = freeSpace;
        this.slotHolds = slotHolds;
        this.clock = clock;
        this.log = log;
    }

    /** Whether the next segments of {@code segmentSize} bytes (0: not known yet, 16 MiB assumed) fit. */
    boolean hasRoom(long segmentSize) {
        long need = PartialSegments.roomNeeded(spool, segmentSize == 0 ? 16L << 20 : segmentSize);
        long free;
        try {
            free = freeSpace.usable(spool);
        } catch (IOException e) {
            return true; // pg_receivewal reports what is wrong with the spool itself
        }
        Instant now = clock.instant();
        if (free >= need) {
            if (fullSince != null) {
                log.accept("the spool has room again (" + free / MIB + " MiB free) after "
                        + Duration.between(fullSince, now).toSeconds()
                        + " s: receiving WAL from the slot resumes where it stopped");
                fullSince = null;
            }
            return true;
        }
        if (fullSince == null || !now.isBefore(nextLog)) {
            log.accept("SPOOL FULL: " + spool + " has " + free / MIB + " MiB free and pg_receivewal needs "
                    + need / MIB + " MiB to go on. Capture receives no WAL until space returns; the slot " + slot
                    + " holds " + slotHolds.get() + " of WAL in pg_wal on the primary meanwhile, and that grows."
                    + " Free space in the spool's filesystem.");
            fullSince = fullSince == null ? now : fullSince;
            nextLog = now.plus(REPEAT);
        }
        return false;
    }
}
