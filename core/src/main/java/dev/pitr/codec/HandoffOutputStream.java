package dev.pitr.codec;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Hands what is written to another thread, which writes it to {@code target}: two stages of a stream (compression
 * here, encryption there) then run on two cores instead of one after the other. At most {@value #DEPTH} chunks of
 * {@value #CHUNK} bytes wait between them. {@link #close()} returns only after the target was written and closed, and
 * rethrows the first failure of either side; a failure on the other side also fails the next write here.
 */
final class HandoffOutputStream extends OutputStream {

    private static final int CHUNK = 256 << 10;
    private static final int DEPTH = 4;
    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pitr-handoff");
        t.setDaemon(true);
        return t;
    });

    /**
     * Chunks written out, for the next stream: a process that stores object after object keeps reusing the same few
     * chunks instead of allocating new ones for each object, which a young collection would find in use and promote.
     * Holds at most 32 chunks; a chunk lost to a failure is garbage like any other.
     */
    private static final BlockingQueue<byte[]> POOL = new ArrayBlockingQueue<>(32);

    /** Bytes {@code [0, len)} of {@code b}; {@code b} goes back to the pool once written. */
    private static final class Chunk {
        final byte[] b;
        final int len;

        Chunk(byte[] b, int len) {
            this.b = b;
            this.len = len;
        }
    }

    private static final Chunk END = new Chunk(new byte[0], 0);

    private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(DEPTH);

    private final Future<?> worker;
    private byte[] buf = chunk();
    private int len;
    private boolean closed;

    HandoffOutputStream(OutputStream target) {
        this.worker = WORKERS.submit(() -> {
            try (OutputStream out = target) {
                for (Chunk c = queue.take(); c != END; c = queue.take()) {
                    out.write(c.b, 0, c.len);
                    POOL.offer(c.b);
                }
            }
            return null;
        });
    }

    private static byte[] chunk() {
        byte[] b = POOL.poll();
        return b != null ? b : new byte[CHUNK];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
        while (n > 0) {
            int k = Math.min(n, CHUNK - len);
            System.arraycopy(b, off, buf, len, k);
            len += k;
            off += k;
            n -= k;
            if (len == CHUNK) {
                hand(new Chunk(buf, len));
                buf = chunk();
                len = 0;
            }
        }
    }

    private void hand(Chunk chunk) throws IOException {
        try {
            while (!queue.offer(chunk, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (worker.isDone()) {
                    // the other side failed: report it once, here, and make close() a no-op
                    closed = true;
                    finish();
                    throw new IOException("the writing stage stopped early");
                }
            }
        } catch (InterruptedException e) {
            worker.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing data on");
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (len > 0) {
            hand(new Chunk(buf, len));
        } else {
            POOL.offer(buf);
        }
        buf = null;
        hand(END);
        finish();
    }

    private void finish() throws IOException {
        try {
            worker.get();
        } catch (InterruptedException e) {
            worker.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the last data was written");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c);
        }
    }
}
