package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
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

    @Test
    void whereRecoveryStoppedIsReadAsAnLsnAndATimeline() throws Exception {
        Path f = dir.resolve("log");
        Files.writeString(f, """
                LOG:  recovery stopping before commit of transaction 742, time 2026-12-06 07:41:13.123+00
                LOG:  redo done at 0/3000148 system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.01 s
                LOG:  last completed transaction was at log time 2026-12-06 07:41:12.998+00
                LOG:  selected new timeline ID: 3
                """);
        RecoveryLog log = new RecoveryLog(f);
        log.refresh();
        assertEquals(Lsn.parse("0/3000148"), log.redoDoneAt());
        assertEquals(TimelineId.of(3), log.newTimeline());
        assertEquals("2026-12-06 07:41:12.998+00", log.lastTransactionTime());
        assertEquals("before commit of transaction 742, time 2026-12-06 07:41:13.123+00", log.stopReason());
    }

    @Test
    void aLogThatSaysNothingYetHasNoStoppingPoint() throws Exception {
        Path f = Files.writeString(dir.resolve("log"), "LOG:  starting point-in-time recovery\n");
        RecoveryLog log = new RecoveryLog(f);
        log.refresh();
        assertNull(log.redoDoneAt());
        assertNull(log.newTimeline());
    }

    @Test
    void howFarReplayCameIsReadFromRestoredSegmentsAndRedoProgressAsTheLogGrows() throws Exception {
        Path f = dir.resolve("log");
        RecoveryLog log = new RecoveryLog(f);
        log.refresh();
        assertEquals(java.util.Optional.empty(), log.replayedUpTo(16 << 20));
        Files.writeString(f, "LOG:  restored log file \"000000010000000000000003\" from archive\nLOG:  restored log");
        log.refresh();
        assertEquals(java.util.Optional.of(Lsn.parse("0/3000000")), log.replayedUpTo(16 << 20));
        // the line is whole only once its end is written
        Files.writeString(
                f, " file \"00000001000000010000000A\" from archive\n", java.nio.file.StandardOpenOption.APPEND);
        log.refresh();
        assertEquals(java.util.Optional.of(Lsn.parse("1/A000000")), log.replayedUpTo(16 << 20));
        Files.writeString(
                f,
                "LOG:  redo in progress, elapsed time: 3.01 s, current LSN: 1/A123456\n",
                java.nio.file.StandardOpenOption.APPEND);
        log.refresh();
        assertEquals(java.util.Optional.of(Lsn.parse("1/A123456")), log.replayedUpTo(16 << 20));
        // a log replaced by a shorter one is read again from its start
        Files.writeString(f, "LOG:  restored log file \"000000010000000000000002\" from archive\n");
        log.refresh();
        assertEquals(java.util.Optional.of(Lsn.parse("0/2000000")), log.replayedUpTo(16 << 20));
    }

    @Test
    void aClientsFailedLoginIsNoRecoveryFailureAndAnEarlierStartsLinesAreNotRead() throws Exception {
        Path f = dir.resolve("log");
        Files.writeString(f, "2026-12-06 07:41:13.123 UTC [11] startup LOG:  pausing at the end of recovery\n");
        long before = RecoveryLog.sizeOf(f);
        Files.writeString(f, """
                2026-12-06 07:42:00.000 UTC [12] client backend FATAL:  password authentication failed for user "x"
                2026-12-06 07:42:01.000 UTC [13] walsender FATAL:  no pg_hba.conf entry for replication
                """, java.nio.file.StandardOpenOption.APPEND);
        RecoveryLog log = new RecoveryLog(f, before);
        assertEquals(2, log.refresh());
        assertNull(log.failure());
        assertEquals(false, log.paused());
        Files.writeString(
                f,
                "2026-12-06 07:42:02.000 UTC [14] startup FATAL:  requested timeline 9 is not a child of this server's\n",
                java.nio.file.StandardOpenOption.APPEND);
        log.refresh();
        assertEquals("FATAL:  requested timeline 9 is not a child of this server's", log.failure());
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            many.append("LOG:  line ").append(i).append('\n');
        }
        Files.writeString(f, many, java.nio.file.StandardOpenOption.APPEND);
        log.refresh();
        assertEquals("  LOG:  line 998\n  LOG:  line 999\n", log.tail(2));
        assertEquals(RecoveryLog.TAIL, log.tail(10_000).lines().count());
    }
}
