package dev.pitr.verify;

import dev.pitr.storage.Storage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Storage whose object reads, together, stay within a bytes-a-second budget (0: none), so that a verification can run
 * beside production; it counts the bytes read. Everything else passes through.
 */
final class Throttled implements Storage {

    private final Storage storage;
    private final long bytesPerSecond;
    private final AtomicLong read = new AtomicLong();
    private final long started = System.nanoTime();

    Throttled(Storage storage, long bytesPerSecond) {
        this.storage = storage;
        this.bytesPerSecond = bytesPerSecond;
    }

    long bytesRead() {
        return read.get();
    }

    /** Counts {@code n} more bytes, and sleeps until they are within the budget since the start. */
    private void took(long n) throws IOException {
        long total = read.addAndGet(n);
        if (bytesPerSecond <= 0) {
            return;
        }
        long due = started + (long) (total * 1e9 / bytesPerSecond);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while within the read budget");
            }
        }
    }

    @Override
    public InputStream open(String key) {
        return new FilterInputStream(storage.open(key)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    took(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    took(n);
                }
                return n;
            }
        };
    }

    @Override
    public Optional<Path> localRoot() {
        return storage.localRoot();
    }

    @Override
    public long put(String key, Map<String, String> metadata, Writer writer) {
        return storage.put(key, metadata, writer);
    }

    @Override
    public Map<String, String> metadata(String key) {
        return storage.metadata(key);
    }

    @Override
    public Optional<Long> stat(String key) {
        return storage.stat(key);
    }

    @Override
    public List<String> list(String prefix) {
        return storage.list(prefix);
    }

    @Override
    public void delete(String key) {
        storage.delete(key);
    }

    @Override
    public void deleteAll(List<String> keys) {
        storage.deleteAll(keys);
    }

    @Override
    public void expire(String key) {
        storage.expire(key);
    }

    @Override
    public String describe() {
        return storage.describe();
    }
}
