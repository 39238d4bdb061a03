package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a restore may take as its target directory, with and without --force. */
class TargetDirectoryTest {

    @TempDir
    Path tmp;

    private static String refusal(Path dir, boolean force) {
        PitrException e = assertThrows(PitrException.class, () -> TargetDirectory.refuseNonEmpty(dir, force));
        assertEquals(ErrorCode.TARGET_DIR_NOT_EMPTY, e.code(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void anEmptyOrMissingDirectoryIsTakenAndANonEmptyOneOnlyWithForce() throws IOException {
        assertDoesNotThrow(() -> TargetDirectory.refuseNonEmpty(tmp.resolve("new"), false));
        Path dir = Files.createDirectory(tmp.resolve("d"));
        assertDoesNotThrow(() -> TargetDirectory.refuseNonEmpty(dir, false));
        Files.writeString(dir.resolve("PG_VERSION"), "15\n");
        assertTrue(refusal(dir, false).contains("is not empty"));
        assertDoesNotThrow(() -> TargetDirectory.refuseNonEmpty(dir, true));
    }

    @Test
    void forceNeverWipesTheRootDirectory() {
        assertTrue(refusal(Path.of("/"), true).contains("will not wipe /"));
    }

    @Test
    void forceNeverWipesARunningServer() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("running"));
        Files.writeString(dir.resolve("PG_VERSION"), "15\n");
        Files.writeString(dir.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + dir + "\n");
        assertTrue(refusal(dir, true).contains("is running in"));
        Files.writeString(dir.resolve("postmaster.pid"), "not a pid\n");
        assertTrue(refusal(dir, true).contains("is running in"));
    }

    @Test
    void forceWipesAServerThatIsGone() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("crashed"));
        Files.writeString(dir.resolve("PG_VERSION"), "15\n");
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Files.writeString(dir.resolve("postmaster.pid"), p.pid() + "\n");
        assertDoesNotThrow(() -> TargetDirectory.refuseNonEmpty(dir, true));
    }

    @Test
    void forceWipesOnlyADataDirectoryOrAnEarlierRestore() throws IOException {
        Path home = Files.createDirectory(tmp.resolve("home"));
        Files.writeString(home.resolve("notes.txt"), "keep me");
        assertTrue(refusal(home, true).contains("neither a PostgreSQL data directory nor an earlier pitr restore"));
        Path earlier = Files.createDirectory(tmp.resolve("earlier"));
        Files.writeString(earlier.resolve(RestoreSteps.RESTORE_LOG), "");
        Files.writeString(earlier.resolve("base.partial"), "");
        assertDoesNotThrow(() -> TargetDirectory.refuseNonEmpty(earlier, true));
    }

    @Test
    void aNameAShellWouldActOnInsidePgCtlsQuotesIsRefused() {
        for (String name : List.of("a\"b", "x'$(id)'", "a`id`", "a\\b", "line\nbreak")) {
            PitrException e =
                    assertThrows(PitrException.class, () -> TargetDirectory.refuseUnsafeName(Path.of("/srv", name)));
            assertEquals(ErrorCode.USAGE, e.code(), name);
        }
        assertDoesNotThrow(() -> TargetDirectory.refuseUnsafeName(Path.of("/srv/it's restored here")));
    }
}
