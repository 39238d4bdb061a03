package dev.pitr.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ZstdTest {

    @Test
    void roundTripsAndCompresses() throws IOException {
        byte[] plain = new byte[1 << 20];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i % 251 < 200 ? 0 : i);
        }
        byte[] packed = compress(new Zstd(3), plain);
        assertTrue(packed.length < plain.length / 10, "compressed to " + packed.length);
        try (InputStream in = new Zstd(3).decompress(new ByteArrayInputStream(packed))) {
            assertArrayEquals(plain, in.readAllBytes());
        }
    }

    @Test
    void aFlippedByteFailsToDecodeInsteadOfYieldingWrongBytes() throws IOException {
        byte[] plain = new byte[200_000];
        new Random(7).nextBytes(plain);
        byte[] packed = compress(new Zstd(1), plain);
        packed[packed.length / 2] ^= 0x40;
        assertThrows(
                IOException.class,
                () -> new Zstd(1).decompress(new ByteArrayInputStream(packed)).readAllBytes());
    }

    /** Level 19, the highest pitr writes, on WAL-sized input: its window is within what the reader allows. */
    @Test
    void theHighestLevelReadsBack() throws IOException {
        byte[] plain = new byte[16 << 20];
        new Random(3).nextBytes(plain);
        System.arraycopy(plain, 0, plain, 8 << 20, 8 << 20);
        byte[] packed = compress(new Zstd(19, 2), plain);
        try (InputStream in = new Zstd(19).decompress(new ByteArrayInputStream(packed))) {
            assertArrayEquals(plain, in.readAllBytes());
        }
    }

    /**
     * A frame that asks for a 64 MiB window, as a planted object could (zstd's own limit lets a reader allocate up to
     * 128 MiB of native memory for it): refused, where a reader without the limit reads it.
     */
    @Test
    void aFrameAskingForALargerWindowThanPitrWritesIsRefused() throws IOException {
        // magic, a header with no content size, a window descriptor of 2^(10+16), then one raw last block of one byte
        byte[] frame = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD, 0x00, (byte) (16 << 3), 0x09, 0x00, 0x00, 'x'};
        try (InputStream unlimited = new com.github.luben.zstd.ZstdInputStream(new ByteArrayInputStream(frame))) {
            assertArrayEquals(new byte[] {'x'}, unlimited.readAllBytes());
        }
        IOException e = assertThrows(
                IOException.class,
                () -> new Zstd(3).decompress(new ByteArrayInputStream(frame)).readAllBytes());
        assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains("memory"), e.getMessage());
    }

    @Test
    void rejectsLevelsOutsideTheSupportedRange() {
        assertThrows(IllegalArgumentException.class, () -> new Zstd(0));
        assertThrows(IllegalArgumentException.class, () -> new Zstd(20));
    }

    private static byte[] compress(Zstd z, byte[] plain) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream out = z.compress(bos)) {
            out.write(plain);
        }
        return bos.toByteArray();
    }
}
