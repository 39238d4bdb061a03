package dev.pitr.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
    assertThrows(IOException.class, () -> new Zstd(1).decompress(new ByteArrayInputStream(packed)).readAllBytes());
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
