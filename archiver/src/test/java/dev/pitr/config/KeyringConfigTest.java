package dev.pitr.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.crypto.DataKey;
import dev.pitr.crypto.Keyring;
import dev.pitr.crypto.SecretKeyWrapper;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyringConfigTest {

    @TempDir
    Path dir;

    private Keyring load(String encryptionYaml, Map<String, String> env, boolean create) throws Exception {
        Path file =
                Files.writeString(dir.resolve("pitr.yaml"), "storage:\n  path: repo\nencryption:\n" + encryptionYaml);
        Config c = Config.load(file, env);
        return KeyringConfig.load(c, new LocalStorage(dir.resolve("repo")), create, new ArrayList<>());
    }

    @Test
    void noEncryptionIsAnEmptyKeyring() throws Exception {
        assertTrue(load("  mode: none\n", Map.of(), true).current().isEmpty());
    }

    @Test
    void aKeyFileIsHexOrRawAndAnythingElseIsRefused() throws Exception {
        byte[] key = new byte[32];
        key[0] = 7;
        Files.writeString(dir.resolve("hex"), HexFormat.of().withUpperCase().formatHex(key) + "\n");
        Files.write(dir.resolve("raw"), key);
        Files.writeString(dir.resolve("short"), "abcd\n");
        String id = SecretKeyWrapper.fromKey(key).keyId();
        assertEquals(
                id,
                load("  mode: key-file\n  key_file: hex\n", Map.of(), true)
                        .current()
                        .get()
                        .keyId());
        assertEquals(
                id,
                load("  mode: key-file\n  key_file: raw\n", Map.of(), true)
                        .current()
                        .get()
                        .keyId());
        PitrException e =
                assertThrows(PitrException.class, () -> load("  mode: key-file\n  key_file: short\n", Map.of(), true));
        assertEquals(ErrorCode.CONFIG_INVALID, e.code());
        assertTrue(e.hint().contains("pitr keys generate"));
    }

    @Test
    void aPassphraseComesFromTheEnvironmentAndTheRepositoryKeepsItsSalt() throws Exception {
        PitrException missing = assertThrows(PitrException.class, () -> load("  mode: passphrase\n", Map.of(), true));
        assertEquals(ErrorCode.CONFIG_MISSING, missing.code());
        assertTrue(missing.hint().contains("PITR_ENCRYPTION_PASSPHRASE"));
        // a reader must not invent a salt: with none stored, nothing was ever archived with a passphrase
        PitrException noSalt = assertThrows(
                PitrException.class,
                () -> load("  mode: passphrase\n", Map.of("PITR_ENCRYPTION_PASSPHRASE", "s3cret pass"), false));
        assertFalse(noSalt.getMessage().contains("s3cret"));

        Keyring writer = load("  mode: passphrase\n", Map.of("PITR_ENCRYPTION_PASSPHRASE", "s3cret pass"), true);
        assertTrue(Files.readString(dir.resolve("repo/keys/kdf.json")).contains("argon2id"));
        Files.writeString(dir.resolve("pass"), "s3cret pass\nignored second line\n");
        Keyring reader = load("  mode: passphrase\n  passphrase_file: pass\n", Map.of(), false);
        assertEquals(writer.current().get().keyId(), reader.current().get().keyId());
        DataKey dk = DataKey.generate();
        assertEquals(dk, reader.unwrap(writer.current().get().wrap(dk)));
    }

    /** The Argon2 cost is read from the bucket: a planted one asking for 4 GiB is refused before it is spent. */
    @Test
    void aKdfCostOtherThanPitrWritesIsRefused() throws Exception {
        load("  mode: passphrase\n", Map.of("PITR_ENCRYPTION_PASSPHRASE", "s3cret pass"), true);
        Path kdf = dir.resolve("repo/keys/kdf.json");
        Files.writeString(kdf, Files.readString(kdf).replaceAll("\"memory_kib\" : \\d+", "\"memory_kib\" : 4194304"));
        assertTrue(Files.readString(kdf).contains("4194304"));
        long start = System.nanoTime();
        PitrException e = assertThrows(
                PitrException.class,
                () -> load("  mode: passphrase\n", Map.of("PITR_ENCRYPTION_PASSPHRASE", "s3cret pass"), false));
        assertEquals(ErrorCode.CORRUPT_OBJECT, e.code());
        assertTrue((System.nanoTime() - start) / 1_000_000 < 1000);
    }

    @Test
    void retiredKeysOpenButNeverWrap() throws Exception {
        Files.writeString(dir.resolve("a"), "11".repeat(32));
        Files.writeString(dir.resolve("b"), "22".repeat(32));
        Keyring k = load("  mode: key-file\n  key_file: b\n  retired_key_files: a, ./a\n", Map.of(), true);
        String a = SecretKeyWrapper.fromKey(HexFormat.of().parseHex("11".repeat(32)))
                .keyId();
        assertEquals(List.of(k.current().get().keyId(), a), k.keyIds());
        assertTrue(k.isRetired(a));
    }

    @Test
    void secretsAreMaskedAndAnUnknownModeIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("pitr.yaml"), "encryption:\n  mode: rot13\n  passphrase: hunter2\n");
        Config c = Config.load(file, Map.of("PITR_ENCRYPTION_SECRET_KEY_PASSPHRASE", "hunter3"));
        assertEquals("***", c.describe().get("encryption.passphrase"));
        assertEquals("***", c.describe().get("encryption.secret_key_passphrase"));
        PitrException e = assertThrows(
                PitrException.class,
                () -> KeyringConfig.load(c, new LocalStorage(dir.resolve("repo")), true, new ArrayList<>()));
        assertEquals(ErrorCode.CONFIG_INVALID, e.code());
        assertTrue(e.getMessage().contains("rot13") && !e.getMessage().contains("hunter"));
    }
}
