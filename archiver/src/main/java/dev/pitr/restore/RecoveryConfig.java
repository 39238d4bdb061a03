package dev.pitr.restore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.Shell;
import dev.pitr.storage.OwnerOnly;
import dev.pitr.wal.WalFetcher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a restored data directory needs to recover from the archive, written into it:
 *
 * <ul>
 *   <li>{@code pitr-restore.yaml}, restore_command's own configuration: the storage, catalog and AWS settings, with a
 *       local archive's and a local catalog's paths made absolute, and the {@code encryption.*} settings pointing at
 *       copies of the keys in {@code pitr-keys/} (the server's OS user may not read the operator's files);
 *   <li>the recovery settings, appended to {@code postgresql.auto.conf}: restore_command (through the {@link
 *       Prefetcher}), the target the plan decided, and what keeps a restored server from acting as the old one
 *       (no archiving, no upstream, its own port);
 *   <li>{@code recovery.signal}.
 * </ul>
 *
 * What is local (a directory of objects, a catalog in a file) is asked of the repository's storage and catalog, so
 * this class knows no backend by name. The files may hold secrets: they are the data directory owner's alone, and the
 * restore removes them when recovery has ended.
 */
final class RecoveryConfig {

    /** Key files, by {@code encryption.*} key, that restore_command needs a copy of. */
    private static final List<Key> KEY_FILES = List.of(
            Key.ENCRYPTION_KEY_FILE,
            Key.ENCRYPTION_PASSPHRASE_FILE,
            Key.ENCRYPTION_PUBLIC_KEY,
            Key.ENCRYPTION_SECRET_KEY,
            Key.ENCRYPTION_RETIRED_KEY_FILES,
            Key.ENCRYPTION_RETIRED_PASSPHRASE_FILES,
            Key.ENCRYPTION_RETIRED_SECRET_KEYS);

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Config config;
    private final Repository repo;

    RecoveryConfig(Config config, Repository repo) {
        this.config = config;
        this.repo = repo;
    }

    /**
     * Writes it all into {@code dir}, a data directory laid down from a snapshot. {@code pitrCommand} is how the
     * server runs pitr (e.g. {@code java -jar /opt/pitr/pitr.jar}); {@code port} is the restored server's.
     */
    void write(Path dir, Map<String, String> settings, int port, String pitrCommand) {
        Path fetchConfig = dir.resolve(RestoreSteps.FETCH_CONFIG);
        Path spool = dir.resolve(RestoreSteps.PREFETCH_DIR);
        String restoreCommand = Prefetcher.command(
                spool,
                pitrCommand + " --config " + Shell.quote(fetchConfig.toString()) + " wal fetch --absent-exit-code "
                        + WalFetcher.WRAPPED_ABSENT_EXIT,
                WalFetcher.WRAPPED_ABSENT_EXIT);
        StringBuilder conf = new StringBuilder("\n# added by pitr restore\n");
        conf.append("restore_command = ").append(pgQuote(restoreCommand)).append('\n');
        settings.forEach(
                (k, v) -> conf.append(k).append(" = ").append(pgQuote(v)).append('\n'));
        // a restored server must not push its new timeline into the archive it was restored from
        conf.append("archive_mode = off\n");
        conf.append("primary_conninfo = ''\n");
        conf.append("primary_slot_name = ''\n");
        conf.append("hot_standby = on\n");
        conf.append("port = ").append(port).append('\n');
        try {
            // it may hold aws.secret_access_key; the data directory's owner is the only reader it needs
            OwnerOnly.write(fetchConfig, fetchConfigYaml(dir));
            Files.writeString(
                    dir.resolve("postgresql.auto.conf"),
                    conf.toString(),
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            Files.deleteIfExists(dir.resolve("standby.signal"));
            Files.createDirectories(spool);
            Files.writeString(dir.resolve("recovery.signal"), "");
        } catch (IOException | UncheckedIOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot write recovery settings: " + e.getMessage(), "check permissions", e);
        }
    }

    /** restore_command's configuration file, as YAML that {@link Config} reads back. */
    String fetchConfigYaml(Path dir) throws IOException {
        Map<Key, String> keys = new EnumMap<>(Key.class);
        keys.put(Key.TIMEZONE, config.require(Key.TIMEZONE));
        keys.put(Key.COMPRESSION_LEVEL, config.require(Key.COMPRESSION_LEVEL));
        List.of("storage", "catalog", "aws").forEach(section -> keys.putAll(config.section(section)));
        // paths made absolute: restore_command reads this file from the data directory
        repo.storage().localRoot().ifPresent(root -> keys.put(Key.STORAGE_PATH, root.toString()));
        Path copyDir = OsUser.isRoot() ? OwnerOnly.directory(dir.resolve(RestoreSteps.KEY_DIR)) : null;
        repo.catalog().fileForReader(copyDir).ifPresent(f -> keys.put(Key.CATALOG_PATH, f.toString()));
        keys.putAll(keysForRestoreCommand(dir));
        Map<String, Object> tree = new LinkedHashMap<>();
        for (Map.Entry<Key, String> e : keys.entrySet()) {
            String[] parts = e.getKey().path().split("\\.", 2);
            if (parts.length == 1) {
                tree.put(parts[0], e.getValue());
            } else {
                @SuppressWarnings("unchecked")
                Map<String, String> section =
                        (Map<String, String>) tree.computeIfAbsent(parts[0], s -> new LinkedHashMap<String, String>());
                section.put(parts[1], e.getValue());
            }
        }
        try {
            return "# written by pitr restore: what restore_command needs to read the archive\n"
                    + YAML.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IOException(e);
        }
    }

    /**
     * The {@code encryption.*} settings for restore_command. It runs as the server's OS user, which may not read the
     * operator's key files, so they are copied into {@code pitr-keys/} in the data directory (mode 0600, handed to
     * that user with the rest); a passphrase given inline or in the environment is written there as a file.
     */
    private Map<Key, String> keysForRestoreCommand(Path dir) throws IOException {
        Map<Key, String> out = new EnumMap<>(Key.class);
        Map<Key, String> enc = config.section("encryption");
        if (enc.getOrDefault(Key.ENCRYPTION_MODE, "none").equals("none")
                && enc.keySet().stream().noneMatch(KEY_FILES::contains)) {
            return out;
        }
        Path keyDir = OwnerOnly.directory(dir.resolve(RestoreSteps.KEY_DIR));
        int n = 0;
        for (Map.Entry<Key, String> e : enc.entrySet()) {
            Key k = e.getKey();
            if (k == Key.ENCRYPTION_PASSPHRASE) {
                Path file = OwnerOnly.write(keyDir.resolve("passphrase"), e.getValue() + "\n");
                out.put(Key.ENCRYPTION_PASSPHRASE_FILE, file.toString());
            } else if (KEY_FILES.contains(k)) {
                List<String> copies = new ArrayList<>();
                for (String part : e.getValue().split(",", -1)) {
                    if (part.isBlank()) {
                        continue;
                    }
                    Path src = config.file().getParent().resolve(part.strip()).normalize();
                    int copyNo = n++;
                    Path copy = keyDir.resolve(copyNo + "-" + src.getFileName());
                    try {
                        Files.copy(src, OwnerOnly.file(copy), StandardCopyOption.REPLACE_EXISTING);
                    } catch (IOException x) {
                        throw new PitrException(
                                ErrorCode.LOCAL_IO,
                                "cannot copy the encryption key " + src + " for restore_command: " + x.getMessage(),
                                "check that the files under encryption.* exist and are readable",
                                x);
                    }
                    copies.add(copy.toString());
                }
                out.put(k, String.join(",", copies));
            } else {
                out.put(k, e.getValue());
            }
        }
        return out;
    }

    /** A postgresql.conf string: a backslash starts an escape there, and a quote is doubled. */
    static String pgQuote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
