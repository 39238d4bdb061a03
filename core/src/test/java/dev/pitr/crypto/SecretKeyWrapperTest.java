package dev.pitr.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretKeyWrapperTest {

    @TempDir
    Path dir;

    private static byte[] key(long seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return k;
    }

    @Test
    void aWrappedDataKeyComesBackOnlyWithTheSameKey() {
        KeyWrapper a = SecretKeyWrapper.fromKey(key(1));
        KeyWrapper b = SecretKeyWrapper.fromKey(key(2));
        DataKey dk = DataKey.generate();
        byte[] envelope = a.wrap(dk);
        assertEquals(dk, a.unwrap(envelope));
        assertEquals(dk, SecretKeyWrapper.fromKey(key(1)).unwrap(envelope));
        assertThrows(WrongKeyException.class, () -> b.unwrap(envelope));
        assertNotEquals(a.keyId(), b.keyId());
        assertFalse(new String(envelope, java.nio.charset.StandardCharsets.ISO_8859_1).contains(dk.sessionKey()));
    }

    @Test
    void aPassphraseIsStretchedWithArgon2idAndItsSaltMatters() {
        byte[] salt = key(3);
        var params = new SecretKeyWrapper.KdfParams(salt, 1, 1024, 1); // cheap for the test; defaults are 3 x 64 MiB
        KeyWrapper w = SecretKeyWrapper.fromPassphrase("correct horse".toCharArray(), params);
        assertTrue(w.keyId().startsWith("passphrase:"));
        DataKey dk = DataKey.generate();
        assertEquals(
                dk,
                SecretKeyWrapper.fromPassphrase("correct horse".toCharArray(), params)
                        .unwrap(w.wrap(dk)));
        var otherSalt = new SecretKeyWrapper.KdfParams(key(4), 1, 1024, 1);
        assertNotEquals(
                w.keyId(),
                SecretKeyWrapper.fromPassphrase("correct horse".toCharArray(), otherSalt)
                        .keyId());
        assertThrows(
                WrongKeyException.class,
                () -> SecretKeyWrapper.fromPassphrase("wrong".toCharArray(), params)
                        .unwrap(w.wrap(dk)));
    }

    @Test
    void gpgOpensAnEnvelopeWithTheKeyInHex() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gpg")), "gpg is not installed");
        byte[] kek = key(5);
        DataKey dk = DataKey.generate();
        Path env = dir.resolve("x.key");
        Files.write(env, SecretKeyWrapper.fromKey(kek).wrap(dk));
        Path home = Files.createDirectories(dir.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Process p = new ProcessBuilder(List.of(
                        "gpg",
                        "--homedir",
                        home.toString(),
                        "--batch",
                        "--quiet",
                        "--pinentry-mode",
                        "loopback",
                        "--passphrase",
                        HexFormat.of().formatHex(kek),
                        "--decrypt",
                        env.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor());
        assertEquals(dk.sessionKey(), out);
    }
}
