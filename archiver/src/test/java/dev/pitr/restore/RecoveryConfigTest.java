package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.postgres.OsUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryConfigTest {

    @TempDir
    Path tmp;

    /** An operator's directory with a space and a quote in its name, relative paths in its configuration. */
    private Config config(String extra) throws Exception {
        Path home = Files.createDirectories(tmp.resolve("it's the operator"));
        Files.writeString(home.resolve("kek.hex"), "00".repeat(32) + "\n");
        Files.writeString(
                home.resolve("pitr.yaml"),
                "storage:\n  path: archive\ncatalog:\n  path: catalog.db\ncompression:\n  level: 5\n" + extra);
        return Config.load(home.resolve("pitr.yaml"), Map.of("PITR_AWS_SECRET_ACCESS_KEY", "s3cr'et: #x"));
    }

    @Test
    void restoreCommandReadsTheSameArchiveFromTheDataDirectory() throws Exception {
        Config config = config("encryption:\n  mode: key-file\n  key_file: kek.hex\n");
        Path dir = Files.createDirectories(tmp.resolve("data dir"));
        try (Repository repo = Repository.open(config, false)) {
            Files.writeString(
                    dir.resolve(RestoreSteps.FETCH_CONFIG), new RecoveryConfig(config, repo).fetchConfigYaml(dir));
        }
        Config read = Config.load(dir.resolve(RestoreSteps.FETCH_CONFIG), Map.of());
        assertEquals(config.requirePath(Key.STORAGE_PATH), read.requirePath(Key.STORAGE_PATH));
        assertTrue(read.requirePath(Key.STORAGE_PATH).isAbsolute());
        Path catalog = read.catalogPath();
        if (OsUser.isRoot()) {
            assertEquals(
                    dir.resolve(RestoreSteps.KEY_DIR).resolve("catalog.db"),
                    catalog,
                    "a copy the server's user may own");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(catalog)));
        } else {
            assertEquals(config.catalogPath(), catalog);
        }
        assertEquals("5", read.require(Key.COMPRESSION_LEVEL));
        assertEquals("s3cr'et: #x", read.require(Key.AWS_SECRET_ACCESS_KEY), "quoted as YAML, not cut at the '#'");
        Path key = read.requirePath(Key.ENCRYPTION_KEY_FILE);
        assertEquals(dir.resolve(RestoreSteps.KEY_DIR), key.getParent(), "a copy in the data directory");
        assertEquals(Files.readString(config.requirePath(Key.ENCRYPTION_KEY_FILE)), Files.readString(key));
    }

    @Test
    void recoverySettingsAreAppendedAndTheServerIsKeptOffTheArchive() throws Exception {
        Config config = config("");
        Path dir = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(dir.resolve("postgresql.auto.conf"), "shared_buffers = '128MB'\n");
        Files.writeString(dir.resolve("standby.signal"), "");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("recovery_target_name", "before it's gone \\ now");
        settings.put("recovery_target_action", "promote");
        try (Repository repo = Repository.open(config, false)) {
            new RecoveryConfig(config, repo).write(dir, settings, 5499, "java -jar '/opt/pitr/pitr.jar'");
        }
        String conf = Files.readString(dir.resolve("postgresql.auto.conf"));
        assertTrue(conf.startsWith("shared_buffers = '128MB'\n"), conf);
        assertTrue(conf.contains("recovery_target_name = 'before it''s gone \\\\ now'\n"), conf);
        assertTrue(conf.contains("archive_mode = off\n"), conf);
        assertTrue(conf.contains("primary_conninfo = ''\n"), conf);
        assertTrue(conf.contains("port = 5499\n"), conf);
        assertTrue(conf.contains("wal fetch --absent-exit-code"), conf);
        assertFalse(Files.exists(dir.resolve("standby.signal")));
        assertTrue(Files.exists(dir.resolve("recovery.signal")));
        assertTrue(Files.isDirectory(dir.resolve(RestoreSteps.PREFETCH_DIR)));
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(RestoreSteps.FETCH_CONFIG))));
    }

    @Test
    void postgresqlConfStringsEscapeQuotesAndBackslashes() {
        assertEquals("'it''s a \\\\path'", RecoveryConfig.pgQuote("it's a \\path"));
    }
}
