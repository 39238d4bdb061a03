package dev.pitr.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
        () ->
            storage.put(
                "snap/x.tar.zst",
                out -> {
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
        () ->
            storage.put(
                "k/obj",
                out -> {
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
  void deleteIsIdempotent() {
    storage.put("d/x", out -> out.write(1));
    storage.delete("d/x");
    storage.delete("d/x");
    assertEquals(Optional.empty(), storage.stat("d/x"));
    assertTrue(storage.list("d/").isEmpty());
  }
}
