package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassDataWarmupTest {

    @TempDir
    Path tmp;

    @Test
    void everyCommandOfTheWarmUpSucceedsInItsOwnDirectory() throws Exception {
        List<Integer> codes = ClassDataWarmup.run(tmp);
        // a command that failed would load only part of what it loads for an operator
        assertEquals(Collections.nCopies(codes.size(), 0), codes);
        try (Stream<Path> s = Files.list(tmp.resolve("repo"))) {
            assertEquals(true, s.findAny().isPresent(), "the segment was pushed into the throwaway repository");
        }
        assertEquals(16L << 20, Files.size(tmp.resolve("fetched")), "and fetched back");
    }

    @Test
    void sqlitesLibraryIsSavedUnderItsOwnNameAndOnlyALoadedOneIsCheckedGood() throws Exception {
        Path lib = tmp.resolve("lib/libsqlitejdbc.so");
        ClassDataWarmup.saveSqliteLibrary(lib);
        assertTrue(Files.size(lib) > 100_000, "the platform's library");
        // this JVM loaded SQLite from a copy of its own, not from that file
        assertFalse(ClassDataWarmup.loadsSqliteFrom(lib));
    }
}
