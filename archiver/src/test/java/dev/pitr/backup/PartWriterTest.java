package dev.pitr.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotParts;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Zstd;
import dev.pitr.crypto.Keyring;
import dev.pitr.storage.LocalStorage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartWriterTest {

    static final SnapshotId ID = new SnapshotId("20260101T000000Z");
    static final long PART = 64 << 10;

    /** A tar like pg_basebackup's: directories, small files, and files larger than a part. */
    static Map<String, byte[]> entries() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        Random r = new Random(7);
        m.put("base/", null);
        for (int i = 0; i < 40; i++) {
            byte[] b = new byte[r.nextInt(20_000)];
            r.nextBytes(b);
            m.put("base/1/" + (1000 + i), b);
            if (i % 13 == 0) {
                byte[] big = new byte[(int) PART * 2 + 100];
                r.nextBytes(big);
                m.put("base/1/big" + i, big);
            }
        }
        m.put("global/", null);
        m.put("global/pg_control", new byte[8192]);
        return m;
    }

    static byte[] tar(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(bytes)) {
            for (var e : entries.entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                if (e.getValue() != null) {
                    te.setSize(e.getValue().length);
                }
                t.putArchiveEntry(te);
                if (e.getValue() != null) {
                    t.write(e.getValue());
                }
                t.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static void copy(TarArchiveEntry e, TarArchiveInputStream in, TarArchiveOutputStream out) throws IOException {
        out.putArchiveEntry(e);
        in.transferTo(out);
        out.closeArchiveEntry();
    }

    @Test
    void eachPartIsATarOfWholeEntriesInOrderWithinItsSizeUnlessOneEntryIsLarger(@TempDir Path dir) throws IOException {
        LocalStorage storage = new LocalStorage(dir);
        ObjectCodec codec = new ObjectCodec(new Zstd(3), Keyring.none());
        Map<String, byte[]> entries = entries();
        PartWriter w = new PartWriter(codec, storage, ID, "00aa00aa00aa", PART);
        SnapshotParts parts =
                w.write(new TarArchiveInputStream(new ByteArrayInputStream(tar(entries))), PartWriterTest::copy);
        assertTrue(parts.parts().size() > 5, parts.parts().toString());
        List<String> names = new ArrayList<>();
        for (int i = 0; i < parts.parts().size(); i++) {
            SnapshotParts.Part p = parts.parts().get(i);
            assertEquals(SnapshotParts.partKey(ID, "00aa00aa00aa", i), p.storageKey());
            assertFalse(p.entries().isEmpty());
            assertTrue(p.plainSize() <= PART || p.entries().size() == 1, p.toString());
            // an unencrypted repository's parts are recorded with a SHA-256 (Checksum.forBodies)
            assertTrue(p.checksum().matches("[0-9a-f]{64}"), p.checksum());
            Checksum sha = Checksum.like(p.checksum());
            List<String> inPart = new ArrayList<>();
            try (InputStream in = sha.wrap(codec.open(storage, p.storageKey(), false))) {
                TarArchiveInputStream t = new TarArchiveInputStream(in);
                TarArchiveEntry e;
                while ((e = t.getNextEntry()) != null) {
                    inPart.add(e.getName());
                    if (!e.isDirectory()) {
                        assertArrayEquals(entries.get(e.getName()), t.readAllBytes(), e.getName());
                    }
                }
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            assertEquals(p.entries(), inPart);
            assertEquals(p.checksum(), sha.value());
            assertEquals(p.plainSize(), sha.bytes());
            names.addAll(inPart);
        }
        assertEquals(new ArrayList<>(entries.keySet()), names);
        assertEquals(parts.parts().stream().map(SnapshotParts.Part::storageKey).toList(), w.written());
    }

    @Test
    void aStreamThatBreaksOffFailsAndNamesThePartsStoredSoFar(@TempDir Path dir) throws IOException {
        LocalStorage storage = new LocalStorage(dir);
        ObjectCodec codec = new ObjectCodec(new Zstd(3), Keyring.none());
        byte[] whole = tar(entries());
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 2);
        PartWriter w = new PartWriter(codec, storage, ID, "00aa00aa00aa", PART);
        assertThrows(
                RuntimeException.class,
                () -> w.write(new TarArchiveInputStream(new ByteArrayInputStream(cut)), PartWriterTest::copy));
        assertTrue(w.written().size() > 1, w.written().toString());
    }
}
