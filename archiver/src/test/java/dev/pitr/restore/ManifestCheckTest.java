package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.backup.ManifestFiles;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lay-down checks each file against backup_manifest as it writes it, as pg_verifybackup would after. */
class ManifestCheckTest {

    @TempDir
    Path tmp;

    /**
     * A manifest as PostgreSQL writes it. {@code 839206e3} is CRC-32C's check value for "123456789" (0xE3069283),
     * written little-endian as pg_basebackup writes it.
     */
    static ManifestFiles manifest() throws Exception {
        String json = "{\"PostgreSQL-Backup-Manifest-Version\": 1, \"Files\": ["
                + "{\"Path\": \"PG_VERSION\", \"Size\": 9, \"Last-Modified\": \"2026-12-07 03:00:00 GMT\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"839206e3\"},"
                + "{\"Path\": \"base/1/1259\", \"Size\": 9, \"Last-Modified\": \"2026-12-07 03:00:00 GMT\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"839206e3\"},"
                + "{\"Path\": \"pitr-restore.yaml\", \"Size\": 3, \"Last-Modified\": \"2026-12-07 03:00:00 GMT\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"00000000\"}"
                + "]}";
        return ManifestFiles.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> layDown(TarExtractorTest.Entry... entries) throws Exception {
        return layDown(Files.createDirectory(tmp.resolve("d" + System.nanoTime())), entries);
    }

    private List<String> layDown(Path dir, TarExtractorTest.Entry... entries) throws Exception {
        ManifestCheck check = new ManifestCheck(manifest(), RestoreSteps.RESTORE_ARTIFACTS);
        TarExtractor.extract(
                new ByteArrayInputStream(TarExtractorTest.tar(entries)),
                dir,
                RestoreSteps.RESTORE_ARTIFACTS,
                Set.of(),
                check);
        return check.problems(dir);
    }

    @Test
    void filesAsListedPassAndWhatPgVerifybackupPassesOverIsPassedOver() throws Exception {
        assertEquals(
                List.of(),
                layDown(
                        TarExtractorTest.Entry.file("PG_VERSION", "123456789"),
                        TarExtractorTest.Entry.dir("base/"),
                        TarExtractorTest.Entry.dir("base/1/"),
                        TarExtractorTest.Entry.file("base/1/1259", "123456789"),
                        TarExtractorTest.Entry.file("postgresql.auto.conf", "port = 5432\n"),
                        TarExtractorTest.Entry.file("backup_manifest", "{}"),
                        TarExtractorTest.Entry.dir("pg_wal/"),
                        TarExtractorTest.Entry.file("pg_wal/000000010000000000000001", "wal")));
    }

    @Test
    void aChangedByteAWrongSizeAMissingFileAndAnUnlistedOneAreEachNamed() throws Exception {
        assertEquals(
                List.of(
                        "PG_VERSION does not match its CRC32C checksum",
                        "base/1/1259 has 10 bytes, not 9",
                        "base/1/16384 is not in backup_manifest"),
                layDown(
                        TarExtractorTest.Entry.file("PG_VERSION", "123456780"),
                        TarExtractorTest.Entry.file("base/1/1259", "1234567890"),
                        TarExtractorTest.Entry.file("base/1/16384", "x")));
        assertEquals(
                List.of("base/1/1259 is in backup_manifest but not in the snapshot"),
                layDown(TarExtractorTest.Entry.file("PG_VERSION", "123456789")));
    }

    @Test
    void aFileLeftInTheDirectoryIsNamedAsPgVerifybackupWouldAndRestoreArtifactsAreNot() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("left"));
        Files.writeString(dir.resolve("stray.conf"), "x");
        Files.writeString(dir.resolve(RestoreSteps.RESTORE_LOG), "log");
        assertEquals(
                List.of("stray.conf is on disk but not in backup_manifest"),
                layDown(
                        dir,
                        TarExtractorTest.Entry.file("PG_VERSION", "123456789"),
                        TarExtractorTest.Entry.file("base/1/1259", "123456789")));
    }

    @Test
    void aManifestWithAnEncodedPathOrAnUnknownAlgorithmIsLeftToPgVerifybackup() throws Exception {
        assertTrue(ManifestCheck.covers(manifest()));
        assertFalse(ManifestCheck.covers(ManifestFiles.parse(("{\"Files\": [{\"Encoded-Path\": \"6162\", \"Size\": 1,"
                        + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"00000000\"}]}")
                .getBytes(StandardCharsets.UTF_8))));
        assertFalse(ManifestCheck.covers(ManifestFiles.parse(("{\"Files\": [{\"Path\": \"a\", \"Size\": 1,"
                        + " \"Checksum-Algorithm\": \"MD7\", \"Checksum\": \"00\"}]}")
                .getBytes(StandardCharsets.UTF_8))));
    }
}
