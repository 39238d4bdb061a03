package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryLogTest {

    @TempDir
    Path dir;

    @Test
    void aRefusedClientConnectionIsNotARecoveryFailureButAFatalFromRecoveryIs() throws Exception {
        Path f = dir.resolve("log");
        Files.writeString(
                f, "LOG:  starting point-in-time recovery\n[26222] FATAL:  the database system is starting up\n");
        RecoveryLog log = new RecoveryLog(f);
        log.refresh();
        assertNull(log.failure());
        Files.writeString(
                f,
                "[26218] FATAL:  could not find redo location referenced by checkpoint record\n",
                java.nio.file.StandardOpenOption.APPEND);
        log.refresh();
        assertEquals("FATAL:  could not find redo location referenced by checkpoint record", log.failure());
    }
}
