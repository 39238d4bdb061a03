package dev.pitr.codec;

import com.github.luben.zstd.RecyclingBufferPool;
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
    private final int workers;

    public Zstd(int level) {
        this(level, 0);
    }

    /**
     * Compresses on {@code workers} threads of zstd's own besides the writing thread (0: on the writing thread only).
     * The output is one ordinary frame either way; it pays for large objects (snapshots), not for 16 MiB segments
     * that are already compressed side by side.
     */
    public Zstd(int level, int workers) {
        if (level < 1 || level > 19) {
            throw new IllegalArgumentException("zstd level must be between 1 and 19, got " + level);
        }
        if (workers < 0) {
            throw new IllegalArgumentException("zstd workers must be 0 or more, got " + workers);
        }
        this.level = level;
        this.workers = workers;
    }

    public int level() {
        return level;
    }

    /** The same level on {@code n} workers. */
    public Zstd withWorkers(int n) {
        return new Zstd(level, n);
    }

    /** Closing the returned stream finishes the frame and closes {@code out}. */
    public OutputStream compress(OutputStream out) throws IOException {
        ZstdOutputStream z = new ZstdOutputStream(out, RecyclingBufferPool.INSTANCE, level);
        z.setChecksum(true);
        if (workers > 0) {
            z.setWorkers(workers);
        }
        return z;
    }

    /**
     * The largest window a frame may ask the decoder for, as a power of two: 16 MiB. Level 19, the highest this class
     * writes, uses 8 MiB; zstd's own limit (128 MiB, of native memory per stream) would let a planted frame cost that
     * much on every restore host.
     */
    static final int WINDOW_LOG_MAX = 24;

    /** A frame asking for a larger window than {@link #WINDOW_LOG_MAX} fails to read with an {@link IOException}. */
    public InputStream decompress(InputStream in) throws IOException {
        ZstdInputStream z = new ZstdInputStream(in, RecyclingBufferPool.INSTANCE);
        z.setLongMax(WINDOW_LOG_MAX);
        return z;
    }
}
