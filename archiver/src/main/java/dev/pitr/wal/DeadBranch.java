package dev.pitr.wal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * After a promotion whose history forked from the old timeline before the segment capture was receiving: capture
 * had WAL from the old primary that the promoted standby never got, and {@code pg_receivewal}, resuming from the
 * spool, asks for a point the new primary does not have. That WAL is a dead branch, but valid WAL of the old
 * timeline, so its complete segments ship as usual; when they have, the segments still being written are moved (kept,
 * not deleted) into {@code .dead-branch-<epoch seconds>/}, and {@code pg_receivewal}, finding the spool empty, starts
 * from the slot. The slot is on the new primary because capture kept it there while it was a standby, never past its
 * replay point, so the new primary has everything from there: the old timeline up to the switch, then the new one.
 */
final class DeadBranch {

    private DeadBranch() {}

    /**
     * Moves the spool's partial segments aside, once no complete segment is left to ship.
     *
     * @return the directory they went to and their names; empty while complete segments still wait to be shipped
     */
    static Optional<Moved> setAside(Path spool, Instant now) throws IOException {
        List<Path> partial = new ArrayList<>();
        try (Stream<Path> files = Files.list(spool)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (SegmentName.isSegmentFileName(name)) {
                    return Optional.empty();
                }
                if (PartialSegments.isPartialSegment(name)) {
                    partial.add(f);
                }
            }
        }
        Path aside = Files.createDirectories(spool.resolve(".dead-branch-" + now.getEpochSecond()));
        List<String> names = new ArrayList<>();
        for (Path f : partial) {
            Files.move(f, aside.resolve(f.getFileName()));
            names.add(f.getFileName().toString());
        }
        return Optional.of(new Moved(aside, names));
    }

    /** What {@link #setAside} moved, and where. */
    record Moved(Path dir, List<String> names) {}
}
