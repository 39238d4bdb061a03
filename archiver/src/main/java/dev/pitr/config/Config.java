package dev.pitr.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.retention.RetentionPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The effective configuration: the YAML file, then environment overrides. Unknown keys are refused so that a typo
 * does not silently fall back to a default. Secret values never appear in {@link #describe()} or in messages.
 */
public final class Config {

    private final Path file;
    private final Map<Key, String> values;

    private Config(Path file, Map<Key, String> values) {
        this.file = file;
        this.values = values;
    }

    /** Reads {@code file} (which must exist) and applies overrides from {@code env}. */
    public static Config load(Path file, Map<String, String> env) {
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs)) {
            throw new PitrException(
                    ErrorCode.CONFIG_MISSING,
                    "no configuration file at " + abs,
                    "pass --config FILE, or create pitr.yaml in the current directory (see docs/configuration.md)");
        }
        Map<Key, String> values = new EnumMap<>(Key.class);
        try {
            // a key given twice is a mistake to report, not a choice of the last one
            JsonNode root = new ObjectMapper(new YAMLFactory())
                    .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .readTree(abs.toFile());
            if (root != null && !root.isMissingNode() && !root.isNull()) {
                if (!root.isObject()) {
                    throw invalid(abs, "the top level must be a mapping of sections");
                }
                flatten("", root, values, abs);
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID, "cannot parse " + abs + ": " + e.getMessage(), "fix the YAML syntax", e);
        }
        for (Key k : Key.values()) {
            String v = env.get(k.envName());
            if (v != null && !v.isEmpty()) {
                values.put(k, v);
            }
        }
        return new Config(abs, values);
    }

    /** A configuration built in code, for the demo and for tests. */
    public static Config of(Path file, Map<Key, String> values) {
        return new Config(file.toAbsolutePath().normalize(), new EnumMap<>(values));
    }

    private static void flatten(String prefix, JsonNode node, Map<Key, String> out, Path file) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(path, v, out, file);
                continue;
            }
            Key key = Key.byPath(path).orElseThrow(() -> invalid(file, "unknown key '" + path + "'"));
            if (key.structured()) {
                if (!v.isNull() && !v.isArray()) {
                    throw invalid(file, "key '" + path + "' must be a list");
                }
                if (!v.isNull()) {
                    out.put(key, v.toString());
                }
                continue;
            }
            if (!v.isNull()) {
                if (!v.isValueNode()) {
                    throw invalid(file, "key '" + path + "' must be a single value");
                }
                out.put(key, v.asText());
            }
        }
    }

    private static PitrException invalid(Path file, String what) {
        return new PitrException(
                ErrorCode.CONFIG_INVALID, file + ": " + what, "see the list of keys in docs/configuration.md");
    }

    public Path file() {
        return file;
    }

    public Optional<String> get(Key key) {
        return Optional.ofNullable(values.get(key)).or(key::defaultValue);
    }

    /** The value, or a {@code config-missing} error naming the key and its environment variable. */
    public String require(Key key) {
        return get(key).orElseThrow(() -> new PitrException(
                ErrorCode.CONFIG_MISSING,
                "configuration key '" + key.path() + "' is not set in " + file,
                "add '" + key.path() + "' to the file or set " + key.envName()));
    }

    public int requireInt(Key key) {
        String v = require(key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "configuration key '" + key.path() + "' must be a whole number, got '" + (key.secret() ? "***" : v)
                            + "'",
                    "fix '" + key.path() + "' in " + file);
        }
    }

    /** A {@code true}/{@code false} key; anything else is {@code config-invalid}. */
    public boolean requireBoolean(Key key) {
        String v = require(key).trim();
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new PitrException(
                ErrorCode.CONFIG_INVALID,
                "configuration key '" + key.path() + "' must be true or false, got '" + v + "'",
                "fix '" + key.path() + "' in " + file);
    }

    /** {@code snapshot.compression_workers}: zstd workers for a snapshot, one per core unless set (0: none). */
    public int compressionWorkers() {
        if (get(Key.SNAPSHOT_COMPRESSION_WORKERS).isEmpty()) {
            return Runtime.getRuntime().availableProcessors();
        }
        int n = requireInt(Key.SNAPSHOT_COMPRESSION_WORKERS);
        if (n < 0 || n > 64) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "snapshot.compression_workers must be 0 to 64, got " + n,
                    "fix 'snapshot.compression_workers' in " + file);
        }
        return n;
    }

    /** A path key, resolved against the configuration file's directory. */
    public Path requirePath(Key key) {
        return file.getParent().resolve(require(key)).normalize();
    }

    /** The retention policy the {@code retention.*} keys and {@code timezone} give. */
    public RetentionPolicy retentionPolicy() {
        return RetentionPolicy.from(path -> get(Key.byPath(path).orElseThrow()).orElse(null), file.toString());
    }

    /**
     * This host's own retention policy when its configuration sets any {@code retention.*} key; empty when it sets
     * none, and applies the cluster's ({@link dev.pitr.retention.ClusterRetention}).
     */
    public java.util.Optional<RetentionPolicy> configuredRetentionPolicy() {
        boolean any = java.util.stream.Stream.of(
                        Key.RETENTION_DAILY,
                        Key.RETENTION_WEEKLY,
                        Key.RETENTION_MONTHLY,
                        Key.RETENTION_MIN_WINDOW,
                        Key.RETENTION_GRACE)
                .anyMatch(k -> get(k).isPresent());
        return any ? java.util.Optional.of(retentionPolicy()) : java.util.Optional.empty();
    }

    public ZoneId zone() {
        String z = require(Key.TIMEZONE);
        try {
            return ZoneId.of(z);
        } catch (DateTimeException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "timezone '" + z + "' is not a known zone",
                    "use an IANA zone such as UTC or Europe/Berlin");
        }
    }

    /** The catalog file: {@code catalog.path}, or {@code catalog.db} beside the repository directory. */
    public Path catalogPath() {
        return get(Key.CATALOG_PATH)
                .map(p -> file.getParent().resolve(p).normalize())
                .orElseGet(() -> requirePath(Key.STORAGE_PATH).resolveSibling("catalog.db"));
    }

    /** The keys set under {@code section} (e.g. {@code storage}), with defaults, unmasked: for derived config files. */
    public Map<Key, String> section(String section) {
        Map<Key, String> out = new EnumMap<>(Key.class);
        for (Key k : Key.values()) {
            if (k.path().startsWith(section + ".")) {
                get(k).ifPresent(v -> out.put(k, v));
            }
        }
        return out;
    }

    /** Every effective key and value, with secrets masked. */
    public Map<String, String> describe() {
        Map<String, String> out = new TreeMap<>();
        for (Key k : Key.values()) {
            get(k).ifPresent(v -> out.put(k.path(), k.secret() ? "***" : v));
        }
        return out;
    }
}
