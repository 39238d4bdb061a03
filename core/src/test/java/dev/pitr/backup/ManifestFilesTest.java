package dev.pitr.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestFilesTest {

    @TempDir
    Path tmp;

    /** CRC32C of "123456789" is 0xE3069283; PostgreSQL writes its four bytes as they lie in memory, low byte first. */
    static final String MANIFEST = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n"
            + "{ \"Path\": \"base/5/100\", \"Size\": 9, \"Last-Modified\": \"2026-12-06 00:00:00 GMT\","
            + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"839206e3\" },\n"
            + "{ \"Path\": \"PG_VERSION\", \"Size\": 9, \"Last-Modified\": \"2026-12-06 00:00:00 GMT\","
            + " \"Checksum-Algorithm\": \"SHA256\","
            + " \"Checksum\": \"15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225\" },\n"
            + "{ \"Path\": \"global/1\", \"Size\": 9, \"Last-Modified\": \"2026-12-06 00:00:00 GMT\","
            + " \"Checksum-Algorithm\": \"NONE\" },\n"
            + "{ \"Encoded-Path\": \"ff\", \"Size\": 9, \"Last-Modified\": \"2026-12-06 00:00:00 GMT\" }\n"
            + "] }";

    @Test
    void aFileMatchesItsEntryBySizeAndChecksumInTheEntrysAlgorithm() throws IOException {
        ManifestFiles m = ManifestFiles.parse(MANIFEST.getBytes(StandardCharsets.UTF_8));
        assertEquals(3, m.entries().size());
        Path f = Files.writeString(tmp.resolve("f"), "123456789");
        assertTrue(m.matches("base/5/100", f));
        assertTrue(m.matches("PG_VERSION", f));
        // no checksum to compare: never taken for a match
        assertFalse(m.matches("global/1", f));
        assertFalse(m.matches("base/5/200", f));
        Files.writeString(f, "123456780");
        assertFalse(m.matches("base/5/100", f));
        assertFalse(m.matches("PG_VERSION", f));
        Files.writeString(f, "1234567890");
        assertFalse(m.matches("base/5/100", f));
    }

    @Test
    void aLinkOrADirectoryNeverMatches() throws IOException {
        ManifestFiles m = ManifestFiles.parse(MANIFEST.getBytes(StandardCharsets.UTF_8));
        Path f = Files.writeString(tmp.resolve("f"), "123456789");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), f);
        assertFalse(m.matches("base/5/100", link));
        assertFalse(m.matches("base/5/100", tmp));
    }

    @Test
    void whatIsNoManifestIsRefused() {
        assertThrows(IOException.class, () -> ManifestFiles.parse("{}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IOException.class, () -> ManifestFiles.parse("not json".getBytes(StandardCharsets.UTF_8)));
    }
}
