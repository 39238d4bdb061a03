package dev.pitr.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.aws.AwsClients;
import dev.pitr.crypto.KeyWrapper;
import dev.pitr.crypto.Keyring;
import dev.pitr.crypto.KmsKeyWrapper;
import dev.pitr.crypto.PublicKeyWrapper;
import dev.pitr.crypto.SecretKeyWrapper;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.ObjectNotFoundException;
import dev.pitr.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Builds the {@link Keyring} the {@code encryption.*} keys describe. Secrets (passphrases, key bytes) are read from
 * the configuration, the environment or files and go only into the wrappers; no message names a secret's value.
 *
 * <p>A passphrase is stretched with Argon2id. Its salt and cost live in the repository under {@value #KDF_KEY}
 * (created by the first writer), so every host derives the same key and the emergency recipe can run {@code argon2}
 * with them. The salt is a printable string and is used as its ASCII bytes, as the {@code argon2} command takes it.
 */
public final class KeyringConfig {

    /** The repository object holding the passphrase KDF's salt and cost. */
    public static final String KDF_KEY = "keys/kdf.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private KeyringConfig() {}

    /**
     * The keyring of {@code config}. {@code create} lets a writer store the KDF parameters when the repository has
     * none yet; {@code clients} collects any client to close with the repository.
     */
    public static Keyring load(Config config, Storage storage, boolean create, List<AutoCloseable> clients) {
        String mode = config.require(Key.ENCRYPTION_MODE);
        KeyWrapper current = switch (mode) {
            case "none" -> null;
            case "key-file" -> SecretKeyWrapper.fromKey(keyFile(config, config.requirePath(Key.ENCRYPTION_KEY_FILE)));
            case "passphrase" -> SecretKeyWrapper.fromPassphrase(passphrase(config), kdf(storage, create));
            case "public-key" -> publicKey(config);
            case "kms" -> new KmsKeyWrapper(kms(config, clients), config.require(Key.ENCRYPTION_KMS_KEY_ID));
            default ->
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "encryption.mode '" + mode + "' is not supported",
                        "set encryption.mode to none, key-file, passphrase, public-key or kms");
        };
        List<KeyWrapper> retired = new ArrayList<>();
        for (Path p : paths(config, Key.ENCRYPTION_RETIRED_KEY_FILES)) {
            retired.add(SecretKeyWrapper.fromKey(keyFile(config, p)));
        }
        List<Path> retiredPassphrases = paths(config, Key.ENCRYPTION_RETIRED_PASSPHRASE_FILES);
        if (!retiredPassphrases.isEmpty()) {
            SecretKeyWrapper.KdfParams params = kdf(storage, false);
            for (Path p : retiredPassphrases) {
                retired.add(
                        SecretKeyWrapper.fromPassphrase(firstLine(p, Key.ENCRYPTION_RETIRED_PASSPHRASE_FILES), params));
            }
        }
        for (Path p : paths(config, Key.ENCRYPTION_RETIRED_SECRET_KEYS)) {
            retired.add(secretKey(config, p));
        }
        for (String id : list(config, Key.ENCRYPTION_RETIRED_KMS_KEY_IDS)) {
            retired.add(new KmsKeyWrapper(kms(config, clients), id));
        }
        return Keyring.of(current, retired);
    }

    private static KeyWrapper publicKey(Config config) {
        if (config.get(Key.ENCRYPTION_SECRET_KEY).isPresent()) {
            PublicKeyWrapper full = secretKey(config, config.requirePath(Key.ENCRYPTION_SECRET_KEY));
            if (config.get(Key.ENCRYPTION_PUBLIC_KEY).isPresent()) {
                String pub = encryptOnly(config).keyId();
                if (!pub.equals(full.keyId())) {
                    throw new PitrException(
                            ErrorCode.CONFIG_INVALID,
                            "encryption.public_key (" + pub + ") and encryption.secret_key (" + full.keyId()
                                    + ") are not one key pair",
                            "point both at the same OpenPGP key, or leave encryption.public_key out on the restore host");
                }
            }
            return full;
        }
        return encryptOnly(config);
    }

    private static PublicKeyWrapper encryptOnly(Config config) {
        Path p = config.requirePath(Key.ENCRYPTION_PUBLIC_KEY);
        try (InputStream in = Files.newInputStream(p)) {
            return PublicKeyWrapper.encryptOnly(in);
        } catch (IOException e) {
            throw unreadable(Key.ENCRYPTION_PUBLIC_KEY, p, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw invalid(Key.ENCRYPTION_PUBLIC_KEY, p, e.getMessage(), "export it with 'gpg --export --armor KEYID'");
        }
    }

    private static PublicKeyWrapper secretKey(Config config, Path p) {
        char[] pass =
                config.get(Key.ENCRYPTION_SECRET_KEY_PASSPHRASE).orElse("").toCharArray();
        try (InputStream in = Files.newInputStream(p)) {
            return PublicKeyWrapper.withSecretKey(in, pass);
        } catch (IOException e) {
            throw unreadable(Key.ENCRYPTION_SECRET_KEY, p, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw invalid(
                    Key.ENCRYPTION_SECRET_KEY,
                    p,
                    e.getMessage(),
                    "export it with 'gpg --export-secret-keys --armor KEYID' and set encryption.secret_key_passphrase if it has one");
        } finally {
            Arrays.fill(pass, '\0');
        }
    }

    /** A key file holds 64 hex digits (as {@code pitr keys generate} writes it) or 32 raw bytes. */
    static byte[] keyFile(Config config, Path p) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(p);
        } catch (IOException e) {
            throw unreadable(Key.ENCRYPTION_KEY_FILE, p, e.getMessage());
        }
        String text = new String(raw, StandardCharsets.US_ASCII).strip();
        if (text.matches("[0-9a-fA-F]{64}")) {
            return HexFormat.of().parseHex(text.toLowerCase(Locale.ROOT));
        }
        if (raw.length == 32) {
            return raw;
        }
        throw invalid(
                Key.ENCRYPTION_KEY_FILE,
                p,
                "it holds " + raw.length + " bytes, not a 256-bit key",
                "create one with 'pitr keys generate --out FILE'");
    }

    private static char[] passphrase(Config config) {
        var inline = config.get(Key.ENCRYPTION_PASSPHRASE);
        if (inline.isPresent()) {
            return inline.get().toCharArray();
        }
        if (config.get(Key.ENCRYPTION_PASSPHRASE_FILE).isPresent()) {
            return firstLine(config.requirePath(Key.ENCRYPTION_PASSPHRASE_FILE), Key.ENCRYPTION_PASSPHRASE_FILE);
        }
        throw new PitrException(
                ErrorCode.CONFIG_MISSING,
                "encryption.mode is passphrase but no passphrase is set",
                "set " + Key.ENCRYPTION_PASSPHRASE.envName()
                        + " or encryption.passphrase_file (a file only this user can read)");
    }

    private static char[] firstLine(Path p, Key key) {
        try {
            String s = Files.readString(p, StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            String line = nl < 0 ? s : s.substring(0, nl);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                throw invalid(key, p, "its first line is empty", "write the passphrase on the first line");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw unreadable(key, p, e.getMessage());
        }
    }

    /** The repository's KDF parameters, created with a fresh salt by a writer when there are none. */
    public static SecretKeyWrapper.KdfParams kdf(Storage storage, boolean create) {
        try (InputStream in = storage.open(KDF_KEY)) {
            JsonNode n = JSON.readTree(in);
            if (!"argon2id".equals(n.path("kdf").asText()) || n.path("version").asInt() != 19) {
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        KDF_KEY + " names a KDF this version does not know: "
                                + n.path("kdf").asText(),
                        "use the pitr version that wrote the repository");
            }
            SecretKeyWrapper.KdfParams read = new SecretKeyWrapper.KdfParams(
                    n.path("salt").asText().getBytes(StandardCharsets.US_ASCII),
                            n.path("iterations").asInt(),
                    n.path("memory_kib").asInt(), n.path("lanes").asInt());
            // the cost comes from the bucket, which anyone who may write there can change: only the cost pitr writes is
            // spent (Argon2 allocates what memory_kib asks, on every wal fetch)
            SecretKeyWrapper.KdfParams written = SecretKeyWrapper.KdfParams.defaults(read.salt());
            if (read.iterations() != written.iterations()
                    || read.memoryKiB() != written.memoryKiB()
                    || read.lanes() != written.lanes()
                    || !n.path("salt").asText().matches("[0-9a-f]{32}")) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        KDF_KEY + " asks for another Argon2 cost or salt than pitr"
                                + " writes (" + written.iterations() + " passes, " + written.memoryKiB() + " KiB, "
                                + written.lanes()
                                + " lane, 16 bytes of salt in hex)",
                        "restore it from a bucket version");
            }
            return read;
        } catch (ObjectNotFoundException e) {
            if (!create) {
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "encryption.mode is passphrase but the repository holds no " + KDF_KEY,
                        "nothing was archived with a passphrase yet; check storage.* points at the right repository");
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    KDF_KEY + " is not readable: " + e.getMessage(),
                    "restore it from a bucket version",
                    e);
        }
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        SecretKeyWrapper.KdfParams p = SecretKeyWrapper.KdfParams.defaults(
                HexFormat.of().formatHex(salt).getBytes(StandardCharsets.US_ASCII));
        ObjectNode n = JSON.createObjectNode();
        n.put("kdf", "argon2id");
        n.put("version", 19);
        n.put("salt", new String(p.salt(), StandardCharsets.US_ASCII));
        n.put("iterations", p.iterations());
        n.put("memory_kib", p.memoryKiB());
        n.put("lanes", p.lanes());
        n.put("length", 32);
        storage.put(
                KDF_KEY,
                Map.of("pitr-kind", "kdf"),
                out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n)));
        return p;
    }

    private static KmsClient kms(Config config, List<AutoCloseable> clients) {
        for (AutoCloseable c : clients) {
            if (c instanceof KmsClient k) {
                return k;
            }
        }
        String endpoint = config.get(Key.ENCRYPTION_KMS_ENDPOINT).orElse(null);
        AwsClients.Settings s = AwsClients.Settings.of(
                        config.require(Key.ENCRYPTION_KMS_REGION),
                        endpoint == null ? null : java.net.URI.create(endpoint))
                .withCredentials(
                        config.get(Key.AWS_ACCESS_KEY_ID).orElse(null),
                        config.get(Key.AWS_SECRET_ACCESS_KEY).orElse(null))
                .withAttemptTimeout(Duration.ofSeconds(config.requireInt(Key.STORAGE_REQUEST_TIMEOUT_SECONDS)))
                .withMaxAttempts(config.requireInt(Key.STORAGE_MAX_ATTEMPTS));
        KmsClient k = AwsClients.kms(s);
        clients.add(k);
        return k;
    }

    private static List<String> list(Config config, Key key) {
        return config.get(key).stream()
                .flatMap(v -> Arrays.stream(v.split(",")))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    private static List<Path> paths(Config config, Key key) {
        return list(config, key).stream()
                .map(s -> config.file().getParent().resolve(s).normalize())
                .toList();
    }

    private static PitrException unreadable(Key key, Path p, String why) {
        return new PitrException(
                ErrorCode.CONFIG_INVALID,
                key.path() + ": cannot read " + p + ": " + why,
                "check the path and that this user may read it");
    }

    private static PitrException invalid(Key key, Path p, String why, String hint) {
        return new PitrException(ErrorCode.CONFIG_INVALID, key.path() + ": " + p + ": " + why, hint);
    }
}
