package dev.pitr.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Keys made by gpg itself: pitr wraps with the public half and unwraps with the secret half, and so does gpg. */
class PublicKeyWrapperTest {

    @TempDir
    static Path dir;
    /** Per key kind: its gpg home, public key and secret key. */
    static final java.util.Map<String, Object[]> pairs = new java.util.HashMap<>();

    static String gpg(Path home, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                "gpg",
                "--homedir",
                home.toString(),
                "--batch",
                "--quiet",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                ""));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
        return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    @BeforeAll
    static void makeKeys() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gpg")), "gpg is not installed");
        // RSA, and gpg's default Curve25519 pair (ed25519 signing, cv25519 encryption)
        for (String[] kind : new String[][] {
            {"rsa", "rsa3072", "rsa3072"}, {"cv25519", "ed25519", "cv25519"}, {"nistp256", "nistp256", "nistp256"}
        }) {
            Path home = Files.createDirectories(dir.resolve("gnupg-" + kind[0]));
            Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            gpg(home, "--quick-gen-key", "pitr restore host <restore@example.invalid>", kind[1], "sign", "never");
            String fpr = gpg(home, "--list-keys", "--with-colons")
                    .lines()
                    .filter(l -> l.startsWith("fpr:"))
                    .findFirst()
                    .orElseThrow()
                    .split(":", -1)[9];
            gpg(home, "--quick-add-key", fpr, kind[2], "encr", "never");
            pairs.put(kind[0], new Object[] {
                home,
                gpg(home, "--export", "--armor").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                gpg(home, "--export-secret-keys", "--armor").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsa", "cv25519"})
    void thePublicHalfWrapsButCannotUnwrapAndTheSecretHalfUnwraps(String kind) {
        byte[] publicKey = (byte[]) pairs.get(kind)[1];
        byte[] secretKey = (byte[]) pairs.get(kind)[2];
        KeyWrapper archiver = PublicKeyWrapper.encryptOnly(new ByteArrayInputStream(publicKey));
        KeyWrapper restorer = PublicKeyWrapper.withSecretKey(new ByteArrayInputStream(secretKey), new char[0]);
        assertEquals(archiver.keyId(), restorer.keyId());
        assertTrue(archiver.keyId().startsWith("pgp:"));
        DataKey dk = DataKey.generate();
        byte[] envelope = archiver.wrap(dk);
        WrongKeyException e = assertThrows(WrongKeyException.class, () -> archiver.unwrap(envelope));
        assertTrue(e.getMessage().contains("only the public key"), e.getMessage());
        assertEquals(dk, restorer.unwrap(envelope));
        assertThrows(
                WrongKeyException.class,
                () -> restorer.unwrap(SecretKeyWrapper.fromKey(new byte[32]).wrap(dk)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsa", "cv25519"})
    void gpgOpensAnEnvelopeWithTheSecretKey(String kind) throws Exception {
        DataKey dk = DataKey.generate();
        Path env = dir.resolve(kind + "-seg.key");
        Files.write(
                env,
                PublicKeyWrapper.encryptOnly(new ByteArrayInputStream((byte[]) pairs.get(kind)[1]))
                        .wrap(dk));
        assertEquals(
                dk.sessionKey(),
                gpg((Path) pairs.get(kind)[0], "--decrypt", env.toString()).trim());
    }

    /** A key whose envelopes no restore could read is refused when it is loaded, not found out at restore time. */
    @Test
    void aKeyOfAnotherAlgorithmIsRefusedWhenLoaded() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> PublicKeyWrapper.encryptOnly(new ByteArrayInputStream((byte[]) pairs.get("nistp256")[1])));
        assertTrue(e.getMessage().contains("not one pitr supports"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> PublicKeyWrapper.withSecretKey(
                        new ByteArrayInputStream((byte[]) pairs.get("nistp256")[2]), new char[0]));
    }
}
