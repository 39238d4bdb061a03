package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
