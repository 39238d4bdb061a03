package dev.pitr.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStorageTest extends StorageContractTest {

    @TempDir
    Path dir;

    @Override
    protected Storage newStorage() {
        return new LocalStorage(dir.resolve("repo"));
    }

    @Test
    void expiringDeletesAtOnce() {
        storage.put("wal/x", java.util.Map.of("pitr-kind", "segment"), out -> out.write(1));
        storage.expire("wal/x");
        assertEquals(java.util.Optional.empty(), storage.stat("wal/x"));
        assertEquals(java.util.List.of(), storage.list(""));
    }

    @Test
    void objectsAreReadableByTheRestoreUser() throws Exception {
        storage.put("wal/x", out -> out.write(1));
        Path p = dir.resolve("repo/wal/x");
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    }

    @Test
    void keysCannotEscapeTheRoot() {
        assertThrows(IllegalArgumentException.class, () -> storage.put("../evil", out -> {}));
        assertThrows(IllegalArgumentException.class, () -> storage.open("/etc/passwd"));
    }
}
