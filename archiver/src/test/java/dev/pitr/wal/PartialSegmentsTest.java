package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartialSegmentsTest {

    private static final long SEG = 16L << 20;

    @TempDir
    Path spool;

    @Test
    void padsAnAllZeroFileLeftByAnInterruptedPadding() throws Exception {
        Path p = spool.resolve("00000001000000000000000B.partial");
        Files.write(p, new byte[12_517_376]);
        assertEquals(List.of("00000001000000000000000B.partial"), PartialSegments.finishInterruptedPadding(spool, SEG));
        assertEquals(SEG, Files.size(p));
        assertArrayEquals(new byte[(int) SEG], Files.readAllBytes(p));
    }

    @Test
    void leavesEmptyAndCompleteFilesAndOtherFilesAlone() throws Exception {
        Files.write(spool.resolve("000000010000000000000001.partial"), new byte[0]);
        Files.write(spool.resolve("000000010000000000000002.partial"), new byte[(int) SEG]);
        Files.write(spool.resolve("notes.partial"), new byte[10]);
        Files.write(spool.resolve("000000010000000000000003"), new byte[10]);
        assertEquals(List.of(), PartialSegments.finishInterruptedPadding(spool, SEG));
        assertEquals(0, Files.size(spool.resolve("000000010000000000000001.partial")));
        assertEquals(10, Files.size(spool.resolve("notes.partial")));
    }

    @Test
    void refusesAShortFileThatHoldsWalAndLeavesItUntouched() throws Exception {
        byte[] body = new byte[1 << 20];
        body[4096] = 7;
        Path p = spool.resolve("000000010000000000000004.partial");
        Files.write(p, body);
        PitrException e = assertThrows(PitrException.class, () -> PartialSegments.finishInterruptedPadding(spool, SEG));
        assertEquals(ErrorCode.LOCAL_IO, e.code());
        assertArrayEquals(body, Files.readAllBytes(p));
    }

    @Test
    void anEmptySpoolIsSeededWhereTheSlotStandsAndAResumableOneIsLeftAlone() throws Exception {
        Files.write(spool.resolve("000000010000000000000004.partial.seeding"), new byte[3]);
        Files.write(spool.resolve(".pitr.lock"), new byte[0]);
        assertTrue(PartialSegments.seedResumePoint(spool, "000000010000000000000004", SEG));
        Path seed = spool.resolve("000000010000000000000004.partial");
        assertEquals(SEG, Files.size(seed));
        assertArrayEquals(new byte[(int) SEG], Files.readAllBytes(seed));
        assertFalse(Files.exists(spool.resolve("000000010000000000000004.partial.seeding")));
        // pg_receivewal now resumes from the spool: never seeded again, not even at another segment
        assertFalse(PartialSegments.seedResumePoint(spool, "000000010000000000000009", SEG));
        Files.delete(seed);
        Files.write(spool.resolve("000000010000000000000005"), new byte[(int) SEG]);
        assertFalse(PartialSegments.seedResumePoint(spool, "000000010000000000000003", SEG));
    }
}
