package dev.pitr.verify;

import dev.pitr.storage.ForwardingStorage;
import dev.pitr.storage.Storage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Storage whose object reads, together, stay within a bytes-a-second budget (0: none), so that a verification can run
 * beside production; it counts the bytes read. Everything else passes through.
 */
final class Throttled extends ForwardingStorage {

    private final long bytesPerSecond;
    private final AtomicLong read = new AtomicLong();
    /** When the bytes read so far are due under the budget; never more than a second behind now (no saved-up burst). */
    private long due = System.nanoTime();

    Throttled(Storage storage, long bytesPerSecond) {
        super(storage);
        this.bytesPerSecond = bytesPerSecond;
    }

    long bytesRead() {
        return read.get();
    }

    /** Counts {@code n} more bytes, and sleeps until they are within the budget, with at most a second's burst. */
    private void took(long n) throws IOException {
        read.addAndGet(n);
        if (bytesPerSecond <= 0) {
            return;
        }
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            due = Math.max(due, now - 1_000_000_000L) + (long) (n * 1e9 / bytesPerSecond);
            wait = due - now;
        }
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while within the read budget");
            }
        }
    }

    /** Storage failed to deliver an object's bytes: not the object's fault. */
    static final class StorageReadException extends IOException {
        private static final long serialVersionUID = 1L;

        StorageReadException(String key, IOException cause) {
            super("reading " + key + ": " + cause.getMessage(), cause);
        }
    }

    @Override
    public InputStream open(String key) {
        return new FilterInputStream(delegate.open(key)) {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n;
                try {
                    n = super.read(buf, off, len);
                } catch (java.io.InterruptedIOException e) {
                    throw e;
                } catch (IOException e) {
                    throw new StorageReadException(key, e);
                }
                if (n > 0) {
                    took(n);
                }
                return n;
            }
        };
    }
}
