package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Emptying a target directory never deletes through a symbolic link. */
class EmptyDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void emptiesTheTreeAndDeletesLinksAsLinks() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("precious"));
        Files.writeString(outside.resolve("keep.txt"), "mine");
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.createDirectories(target.resolve("base/1/deep"));
        Files.writeString(target.resolve("base/1/deep/16384"), "x");
        Files.writeString(target.resolve("PG_VERSION"), "15");
        Files.createSymbolicLink(target.resolve("pg_tblspc_link"), outside);
        Files.createSymbolicLink(target.resolve("base/1/file_link"), outside.resolve("keep.txt"));
        int[] ticks = {0};

        RestoreSteps.emptyWithoutFollowingLinks(target, () -> ticks[0]++);

        try (Stream<Path> left = Files.list(target)) {
            assertEquals(0, left.count());
        }
        assertEquals("mine", Files.readString(outside.resolve("keep.txt")));
        assertTrue(Files.isDirectory(target));
    }
}
