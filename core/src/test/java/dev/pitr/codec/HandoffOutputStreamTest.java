package dev.pitr.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HandoffOutputStreamTest {

    @Test
    void everyByteArrivesInOrderAndTheTargetIsClosed() throws IOException {
        byte[] data = new byte[3_000_001];
        new Random(1).nextBytes(data);
        boolean[] closed = {false};
        ByteArrayOutputStream sink = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        try (OutputStream h = new HandoffOutputStream(sink)) {
            for (int off = 0; off < data.length; off += 70_001) {
                h.write(data, off, Math.min(70_001, data.length - off));
            }
            h.write(7);
        }
        byte[] got = sink.toByteArray();
        assertEquals(data.length + 1, got.length);
        assertArrayEquals(data, java.util.Arrays.copyOf(got, data.length));
        assertTrue(closed[0]);
    }

    @Test
    void streamsAtOnceAndOneAfterAnotherEachGetTheirOwnBytes() throws Exception {
        // chunks go back to a shared pool once written: a chunk reused too early would show another stream's bytes
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 20; i++) {
                        byte[] data = new byte[r.nextInt(1_200_000)];
                        r.nextBytes(data);
                        ByteArrayOutputStream sink = new ByteArrayOutputStream();
                        try (OutputStream h = new HandoffOutputStream(sink)) {
                            for (int off = 0; off < data.length; ) {
                                int n = Math.min(1 + r.nextInt(300_000), data.length - off);
                                h.write(data, off, n);
                                off += n;
                            }
                        }
                        assertArrayEquals(data, sink.toByteArray(), "stream " + i + " of writer " + seed);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailingTargetFailsTheWriterAndNothingHangs() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk gone");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("disk gone");
            }
        };
        IOException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThrows(IOException.class, () -> {
                    try (OutputStream h = new HandoffOutputStream(broken)) {
                        byte[] chunk = new byte[1 << 20];
                        for (int i = 0; i < 64; i++) {
                            h.write(chunk);
                        }
                    }
                }));
        assertTrue(e.getMessage().contains("disk gone") || e.getMessage().contains("stopped early"), e.getMessage());
    }
}
