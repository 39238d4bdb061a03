package dev.pitr.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectCipherTest {

    @TempDir
    Path dir;

    private static byte[] encrypt(byte[] plain, DataKey key) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream out = ObjectCipher.encrypt(b, key)) {
            // odd-sized writes across the 64 KiB packet chunks
            for (int off = 0; off < plain.length; off += 7777) {
                out.write(plain, off, Math.min(7777, plain.length - off));
            }
        }
        return b.toByteArray();
    }

    private static byte[] decrypt(byte[] body, DataKey key) throws IOException {
        try (InputStream in = ObjectCipher.decrypt(new ByteArrayInputStream(body), key)) {
            return in.readAllBytes();
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void roundTripsEveryLengthAroundThePacketChunks() throws IOException {
        DataKey key = DataKey.generate();
        for (int n : new int[] {0, 1, 191, 192, 8383, 8384, 65536, 65537, 3 * 65536, 1_000_003}) {
            byte[] plain = random(n, n);
            assertArrayEquals(plain, decrypt(encrypt(plain, key), key), "length " + n);
        }
    }

    @Test
    void aFlippedByteAnywhereIsDetected() throws IOException {
        DataKey key = DataKey.generate();
        byte[] body = encrypt(random(200_000, 1), key);
        for (int pos : new int[] {30, body.length / 2, body.length - 5}) {
            byte[] bad = body.clone();
            bad[pos] ^= 0x01;
            assertThrows(IOException.class, () -> decrypt(bad, key), "flip at " + pos);
        }
    }

    @Test
    void aTruncatedObjectIsDetected() throws IOException {
        DataKey key = DataKey.generate();
        byte[] body = encrypt(random(200_000, 2), key);
        for (int cut : new int[] {1, 22, 1000, body.length / 2}) {
            assertThrows(IOException.class, () -> decrypt(Arrays.copyOf(body, body.length - cut), key), "cut " + cut);
        }
    }

    @Test
    void anotherObjectsBodyOrAWrongKeyIsDetected() throws IOException {
        DataKey a = DataKey.generate();
        DataKey b = DataKey.generate();
        byte[] bodyOfB = encrypt(random(100_000, 3), b);
        assertThrows(IOException.class, () -> decrypt(bodyOfB, a));
    }

    @Test
    void gpgReadsItWithTheSessionKey() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gpg")), "gpg is not installed");
        DataKey key = DataKey.generate();
        byte[] plain = random(300_000, 4);
        Path obj = dir.resolve("obj.pgp");
        Files.write(obj, encrypt(plain, key));
        Path home = Files.createDirectories(dir.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path outFile = dir.resolve("plain");
        Process p = new ProcessBuilder(List.of(
                        "gpg",
                        "--homedir",
                        home.toString(),
                        "--batch",
                        "--quiet",
                        "--override-session-key",
                        key.sessionKey(),
                        "--output",
                        outFile.toString(),
                        "--decrypt",
                        obj.toString()))
                .redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(plain, Files.readAllBytes(outFile));
    }
}
