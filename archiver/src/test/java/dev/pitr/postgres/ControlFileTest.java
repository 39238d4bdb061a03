package dev.pitr.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlFileTest {

    @TempDir
    Path dir;

    private void write(long id, int version, int state, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder());
        b.putLong(0, id).putInt(8, version).putInt(12, 202307071).putInt(16, state);
        Files.createDirectories(dir.resolve("global"));
        Files.write(dir.resolve("global/pg_control"), java.util.Arrays.copyOf(b.array(), length));
    }

    @Test
    void theHeadSaysTheClusterAndItsState() throws IOException {
        write(-2L, 1300, 6, 8192);
        ControlFile c = ControlFile.read(dir);
        assertEquals("18446744073709551614", c.systemIdentifier());
        assertEquals(1300, c.controlVersion());
        assertEquals(ControlFile.State.IN_PRODUCTION, c.state());
        assertEquals("in production", c.state().text());
        write(7_300_000_000_000_000_000L, 1700, 5, 8192);
        assertEquals("in archive recovery", ControlFile.read(dir).state().text());
    }

    @Test
    void whatIsNoControlFileIsRefused() throws IOException {
        write(1, 1300, 6, 12);
        assertThrows(IOException.class, () -> ControlFile.read(dir));
        write(1, 1300, 7, 8192);
        assertThrows(IOException.class, () -> ControlFile.read(dir));
        write(1, 0, 6, 8192);
        assertThrows(IOException.class, () -> ControlFile.read(dir));
        Files.delete(dir.resolve("global/pg_control"));
        assertThrows(IOException.class, () -> ControlFile.read(dir));
    }
}
