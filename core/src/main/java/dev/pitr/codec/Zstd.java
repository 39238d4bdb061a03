package dev.pitr.codec;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Streaming zstd at a configured level. Frames carry zstd's own content checksum, so a damaged object fails to
 * decode rather than producing wrong bytes.
 */
public final class Zstd {

  private final int level;

  public Zstd(int level) {
    if (level < 1 || level > 19) {
      throw new IllegalArgumentException("zstd level must be between 1 and 19, got " + level);
    }
    this.level = level;
  }

  public int level() {
    return level;
  }

  /** Closing the returned stream finishes the frame and closes {@code out}. */
  public OutputStream compress(OutputStream out) throws IOException {
    ZstdOutputStream z = new ZstdOutputStream(out, level);
    z.setChecksum(true);
    return z;
  }

  public InputStream decompress(InputStream in) throws IOException {
    return new ZstdInputStream(in);
  }
}
