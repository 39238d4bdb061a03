package dev.pitr.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract of {@link Storage}; every implementation's test extends this class. */
public abstract class StorageContractTest {

    protected Storage storage;

    /** A fresh, empty storage for each test. */
    protected abstract Storage newStorage() throws Exception;

    @BeforeEach
    void setUpStorage() throws Exception {
        storage = newStorage();
    }

    @Test
    void putThenOpenReturnsTheSameBytes() throws IOException {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(data);
        long size = storage.put("wal/0000000100000000/a.zst", out -> out.write(data));
        assertEquals(data.length, size);
        try (InputStream in = storage.open("wal/0000000100000000/a.zst")) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertEquals(Optional.of((long) data.length), storage.stat("wal/0000000100000000/a.zst"));
    }

    @Test
    void missingObjectIsNotFoundNotEmpty() {
        assertThrows(ObjectNotFoundException.class, () -> storage.open("wal/nothing"));
        assertEquals(Optional.empty(), storage.stat("wal/nothing"));
    }

    @Test
    void aFailedWriteLeavesNothingVisible() {
        assertThrows(
                RuntimeException.class,
                () -> storage.put("snap/x.tar.zst", out -> {
                    out.write(new byte[100_000]);
                    throw new IOException("source died");
                }));
        assertEquals(Optional.empty(), storage.stat("snap/x.tar.zst"));
        assertEquals(List.of(), storage.list(""));
    }

    @Test
    void aFailedOverwriteKeepsTheOldObject() throws IOException {
        storage.put("k/obj", out -> out.write("old".getBytes(StandardCharsets.UTF_8)));
        assertThrows(
                RuntimeException.class,
                () -> storage.put("k/obj", out -> {
                    out.write("new-partial".getBytes(StandardCharsets.UTF_8));
                    throw new IOException("died");
                }));
        try (InputStream in = storage.open("k/obj")) {
            assertEquals("old", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void listIsSortedAndFilteredByPrefix() {
        for (String k : new String[] {"wal/b", "snap/1", "wal/a", "wal/sub/c", "walrus"}) {
            storage.put(k, out -> out.write(1));
        }
        assertEquals(List.of("wal/a", "wal/b", "wal/sub/c"), storage.list("wal/"));
        assertEquals(List.of("snap/1", "wal/a", "wal/b", "wal/sub/c", "walrus"), storage.list(""));
    }

    @Test
    void metadataTravelsWithTheObjectAndIsReplacedWithIt() {
        Map<String, String> meta =
                Map.of("pitr-kind", "segment", "pitr-sha256", "ab".repeat(32), "pitr-lsn", "0/1000000");
        storage.put("wal/m", meta, out -> out.write(new byte[10]));
        assertEquals(meta, storage.metadata("wal/m"));
        storage.put("wal/m", Map.of("pitr-kind", "other"), out -> out.write(new byte[5]));
        assertEquals(Map.of("pitr-kind", "other"), storage.metadata("wal/m"));
        storage.put("wal/plain", out -> out.write(1));
        assertEquals(Map.of(), storage.metadata("wal/plain"));
        assertEquals(List.of("wal/m", "wal/plain"), storage.list(""));
        assertThrows(ObjectNotFoundException.class, () -> storage.metadata("wal/none"));
    }

    @Test
    void aMultiPartSizedObjectRoundTrips() throws IOException {
        // larger than any implementation's single-request size, written in odd-sized chunks of unknown total length
        byte[] data = new byte[largeObjectBytes()];
        new Random(7).nextBytes(data);
        long size = storage.put("snapshots/big", Map.of("pitr-kind", "snapshot"), out -> {
            for (int off = 0; off < data.length; off += 1_000_003) {
                out.write(data, off, Math.min(1_000_003, data.length - off));
            }
        });
        assertEquals(data.length, size);
        try (InputStream in = storage.open("snapshots/big")) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertEquals(Map.of("pitr-kind", "snapshot"), storage.metadata("snapshots/big"));
    }

    /** Big enough to take the implementation's multi-part path, if it has one. */
    protected int largeObjectBytes() {
        return 12 * 1024 * 1024 + 5;
    }

    @Test
    void deleteIsIdempotent() {
        storage.put("d/x", out -> out.write(1));
        storage.delete("d/x");
        storage.delete("d/x");
        assertEquals(Optional.empty(), storage.stat("d/x"));
        assertTrue(storage.list("d/").isEmpty());
    }

    @Test
    void manyAreDeletedTogetherMissingOnesIncludedAndNoOthers() {
        java.util.List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 1003; i++) {
            keys.add(String.format("m/%04d", i));
        }
        for (String k : keys.subList(0, 5)) {
            storage.put(k, out -> out.write(1));
        }
        storage.put("m/keep", out -> out.write(2));
        storage.deleteAll(keys);
        assertEquals(java.util.List.of("m/keep"), storage.list("m/"));
    }

    @Test
    void expiringIsIdempotentAndLeavesOtherObjectsAlone() {
        storage.put("e/x", out -> out.write(1));
        storage.put("e/y", out -> out.write(2));
        storage.expire("e/x");
        storage.expire("e/x");
        storage.expire("e/never-stored");
        assertEquals(Optional.of(1L), storage.stat("e/y"));
    }
}
