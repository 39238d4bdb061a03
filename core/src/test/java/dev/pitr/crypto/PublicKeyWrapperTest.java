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

/** Keys made by gpg itself: pitr wraps with the public half and unwraps with the secret half, and so does gpg. */
class PublicKeyWrapperTest {

  @TempDir static Path dir;
  static Path home;
  static byte[] publicKey;
  static byte[] secretKey;

  static String gpg(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--quiet",
        "--pinentry-mode", "loopback", "--passphrase", ""));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), String.join(" ", cmd));
    return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  @BeforeAll
  static void makeKeys() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/gpg")), "gpg is not installed");
    home = Files.createDirectories(dir.resolve("gnupg"));
    Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    gpg("--quick-gen-key", "pitr restore host <restore@example.invalid>", "rsa3072", "sign", "never");
    String fpr = gpg("--list-keys", "--with-colons").lines().filter(l -> l.startsWith("fpr:")).findFirst()
        .orElseThrow().split(":")[9];
    gpg("--quick-add-key", fpr, "rsa3072", "encr", "never");
    publicKey = gpg("--export", "--armor").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    secretKey = gpg("--export-secret-keys", "--armor").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  @Test
  void thePublicHalfWrapsButCannotUnwrapAndTheSecretHalfUnwraps() {
    KeyWrapper archiver = PublicKeyWrapper.encryptOnly(new ByteArrayInputStream(publicKey));
    KeyWrapper restorer = PublicKeyWrapper.withSecretKey(new ByteArrayInputStream(secretKey), new char[0]);
    assertEquals(archiver.keyId(), restorer.keyId());
    assertTrue(archiver.keyId().startsWith("pgp:"));
    DataKey dk = DataKey.generate();
    byte[] envelope = archiver.wrap(dk);
    WrongKeyException e = assertThrows(WrongKeyException.class, () -> archiver.unwrap(envelope));
    assertTrue(e.getMessage().contains("only the public key"), e.getMessage());
    assertEquals(dk, restorer.unwrap(envelope));
    assertThrows(WrongKeyException.class, () -> restorer.unwrap(SecretKeyWrapper.fromKey(new byte[32]).wrap(dk)));
  }

  @Test
  void gpgOpensAnEnvelopeWithTheSecretKey() throws Exception {
    DataKey dk = DataKey.generate();
    Path env = dir.resolve("seg.key");
    Files.write(env, PublicKeyWrapper.encryptOnly(new ByteArrayInputStream(publicKey)).wrap(dk));
    assertEquals(dk.sessionKey(), gpg("--decrypt", env.toString()).trim());
  }
}
