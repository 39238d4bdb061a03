package dev.pitr.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.Sha256;
import dev.pitr.codec.Zstd;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

class ServerCompressedTest {

    private static final String LABEL = "START WAL LOCATION: 0/9000060 (file 000000010000000000000009)\n";

    /** A tar as the server sends one: backup_label, directories, files, one with a name that is not UTF-8. */
    private static byte[] tar(byte[] big) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(b, StandardCharsets.ISO_8859_1.name())) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            add(t, "backup_label", LABEL.getBytes(StandardCharsets.UTF_8));
            t.putArchiveEntry(new TarArchiveEntry("base/"));
            t.closeArchiveEntry();
            add(t, "PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8));
            add(t, "base/1/1259", big);
            add(t, "base/1/\"quoted\" name", new byte[0]);
            add(t, new String(new byte[] {'x', (byte) 0xff, 'y'}, StandardCharsets.ISO_8859_1), new byte[] {1});
        }
        return b.toByteArray();
    }

    private static void add(TarArchiveOutputStream t, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setModTime(java.nio.file.attribute.FileTime.fromMillis(1_796_000_000_000L));
        t.putArchiveEntry(e);
        t.write(content);
        t.closeArchiveEntry();
    }

    @Test
    void theStreamIsStoredAsItCameAndItsTarIsReadOnTheWay() throws IOException {
        byte[] big = new byte[3 << 20];
        new Random(1).nextBytes(big);
        byte[] plain = tar(big);
        // two frames, as a server may end one and begin another
        ByteArrayOutputStream zst = new ByteArrayOutputStream();
        zst.write(com.github.luben.zstd.Zstd.compress(java.util.Arrays.copyOf(plain, 5000), 3));
        zst.write(com.github.luben.zstd.Zstd.compress(java.util.Arrays.copyOfRange(plain, 5000, plain.length), 3));
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        AtomicLong seen = new AtomicLong();
        ServerCompressed.Read r = ServerCompressed.copy(
                new ByteArrayInputStream(zst.toByteArray()), stored, new Zstd(3), Checksum.crc32c(), seen::set);

        assertArrayEquals(zst.toByteArray(), stored.toByteArray());
        assertEquals(LABEL, r.label());
        assertEquals(plain.length, r.plainSize());
        assertEquals(plain.length, seen.get());
        assertEquals(Checksum.crc32cOf(plain), r.plainChecksum());
        assertEquals(5, r.files().size(), r.files().toString());
        assertEquals("backup_label", r.files().get(0).rawName());
        assertEquals(big.length, r.files().get(2).size());
        ManifestFiles.Sum sum = ManifestFiles.Sum.of("CRC32C");
        sum.update(big, 0, big.length);
        assertEquals(sum.hex(), r.files().get(2).crc32c());
        assertEquals(1_796_000_000L, r.files().get(1).modifiedEpochSecond());
    }

    @Test
    void aFileSumsAsPostgreSqlsManifestSumsIt() throws IOException {
        // "15\n", PG_VERSION of PostgreSQL 15, as a real server's backup_manifest lists it
        ServerCompressed.Read r = ServerCompressed.copy(
                new ByteArrayInputStream(com.github.luben.zstd.Zstd.compress(tar(new byte[0]), 3)),
                OutputStream.nullOutputStream(),
                new Zstd(3),
                Checksum.sha256(),
                n -> {});
        assertEquals("8a744722", r.files().get(1).crc32c());
        assertEquals(Sha256.of(tar(new byte[0])), r.plainChecksum());
    }

    @Test
    void theManifestReadsAsPostgreSqlsAndCarriesItsOwnChecksum() throws IOException {
        List<ServerCompressed.File> files = List.of(
                new ServerCompressed.File("backup_label", 227, 1_796_000_000L, "2353f3da"),
                new ServerCompressed.File("base/1/\"quoted\"\\name", 0, 1_796_000_001L, "00000000"),
                new ServerCompressed.File(
                        new String(new byte[] {'x', (byte) 0xff}, StandardCharsets.ISO_8859_1), 1, 0, "a1b2c3d4"));
        String m = ServerCompressed.manifest(
                files,
                TimelineId.of(1),
                Lsn.parse("0/9000060"),
                Lsn.parse("0/A000000"),
                15,
                7_443_000_000_000_000_001L);

        assertTrue(
                m.contains(
                        "{ \"Path\": \"backup_label\", \"Size\": 227, \"Last-Modified\": \"2026-11-30 00:53:20 GMT\""),
                m);
        assertTrue(m.endsWith("\"}\n"), m);
        int at = m.indexOf("\"Manifest-Checksum\"");
        JsonNode root = new ObjectMapper().readTree(m);
        assertEquals(
                Sha256.of(m.substring(0, at).getBytes(StandardCharsets.UTF_8)),
                root.get("Manifest-Checksum").asText());
        assertEquals(1, root.get("PostgreSQL-Backup-Manifest-Version").asInt());
        assertEquals(
                "base/1/\"quoted\"\\name", root.get("Files").get(1).get("Path").asText());
        assertEquals("78ff", root.get("Files").get(2).get("Encoded-Path").asText());
        JsonNode range = root.get("WAL-Ranges").get(0);
        assertEquals(1, range.get("Timeline").asInt());
        assertEquals("0/9000060", range.get("Start-LSN").asText());
        assertEquals("0/A000000", range.get("End-LSN").asText());
        ManifestFiles parsed = ManifestFiles.parse(m.getBytes(StandardCharsets.UTF_8));
        assertEquals(227, parsed.entries().get("backup_label").size());
        assertEquals("CRC32C", parsed.entries().get("backup_label").algorithm());
    }

    @Test
    void seventeenAndLaterGetVersionTwoWithTheSystemIdentifier() throws IOException {
        List<ServerCompressed.File> files = List.of(new ServerCompressed.File("PG_VERSION", 3, 0, "8a744722"));
        // the largest identifiers are negative as a Java long
        String m = ServerCompressed.manifest(
                files, TimelineId.of(2), Lsn.parse("0/9000060"), Lsn.parse("0/A000000"), 17, -1L);
        assertTrue(
                m.startsWith(
                        "{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": 18446744073709551615,\n"
                                + "\"Files\": [\n{ \"Path\": \"PG_VERSION\""),
                m);
        JsonNode root = new ObjectMapper().readTree(m);
        assertEquals(2, root.get("WAL-Ranges").get(0).get("Timeline").asInt());
        assertTrue(ServerCompressed.manifest(files, TimelineId.of(1), Lsn.parse("0/1"), Lsn.parse("0/2"), 16, 5)
                .startsWith("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n"));
    }

    @Test
    void theEndIsTheStartOfTheSegmentBeingWritten() {
        long seg = 16L << 20;
        assertEquals(Lsn.parse("0/A000000"), ServerCompressed.endBound(Lsn.parse("0/A000000"), seg));
        assertEquals(Lsn.parse("0/A000000"), ServerCompressed.endBound(Lsn.parse("0/A0167F0"), seg));
        assertEquals(Lsn.parse("1/0"), ServerCompressed.endBound(Lsn.parse("1/FFFFFF"), seg));
    }

    @Test
    void aStreamThatIsNotZstdOrHoldsNoLabelFails() throws IOException {
        assertThrows(
                IOException.class,
                () -> ServerCompressed.copy(
                        new ByteArrayInputStream(tar(new byte[10])),
                        OutputStream.nullOutputStream(),
                        new Zstd(3),
                        Checksum.crc32c(),
                        n -> {}));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(b)) {
            add(t, "PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8));
        }
        IOException e = assertThrows(
                IOException.class,
                () -> ServerCompressed.copy(
                        new ByteArrayInputStream(com.github.luben.zstd.Zstd.compress(b.toByteArray(), 3)),
                        OutputStream.nullOutputStream(),
                        new Zstd(3),
                        Checksum.crc32c(),
                        n -> {}));
        assertTrue(e.getMessage().contains("backup_label"), e.getMessage());
    }
}
