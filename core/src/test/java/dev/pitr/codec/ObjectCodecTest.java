package dev.pitr.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.crypto.KeyWrapper;
import dev.pitr.crypto.Keyring;
import dev.pitr.crypto.SecretKeyWrapper;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.LocalStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectCodecTest {

    @TempDir
    Path dir;

    private static final KeyWrapper A = SecretKeyWrapper.fromKey(bytes(1, 32));
    private static final KeyWrapper B = SecretKeyWrapper.fromKey(bytes(2, 32));

    private static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Half random, half repeated, so compression has work and the body spans several packet chunks. */
    private static byte[] content(long seed) {
        byte[] b = new byte[300_000];
        byte[] r = bytes(seed, b.length / 2);
        System.arraycopy(r, 0, b, 0, r.length);
        return b;
    }

    private LocalStorage storage() {
        return new LocalStorage(dir.resolve("repo"));
    }

    private static ObjectCodec codec(Keyring k) {
        return new ObjectCodec(new Zstd(3), k);
    }

    private static byte[] read(ObjectCodec c, LocalStorage s, String key, boolean mustBeEncrypted) throws IOException {
        try (InputStream in = c.open(s, key, mustBeEncrypted)) {
            return in.readAllBytes();
        }
    }

    @Test
    void plainObjectsAreCompressedOnlyAndReadBack() throws IOException {
        LocalStorage s = storage();
        ObjectCodec c = codec(Keyring.none());
        byte[] data = content(1);
        ObjectCodec.Stored st = c.put(s, "wal/a.zst", Map.of("pitr-kind", "segment"), out -> out.write(data));
        assertNull(st.keyId());
        assertTrue(st.storedSize() < data.length);
        assertArrayEquals(data, read(c, s, "wal/a.zst", false));
        assertTrue(s.stat(ObjectCodec.envelopeKey("wal/a.zst")).isEmpty());
        assertFalse(s.metadata("wal/a.zst").containsKey(ObjectCodec.ENCRYPTION));
    }

    @Test
    void encryptedObjectsKeepTheirEnvelopeApartAndNameTheKey() throws IOException {
        LocalStorage s = storage();
        ObjectCodec c = codec(Keyring.of(A, List.of()));
        byte[] data = content(2);
        ObjectCodec.Stored st = c.put(s, "wal/a.zst", Map.of("pitr-kind", "segment"), out -> out.write(data));
        assertEquals(A.keyId(), st.keyId());
        assertEquals(A.keyId(), s.metadata(ObjectCodec.envelopeKey("wal/a.zst")).get(ObjectCodec.KEY_ID));
        assertEquals(ObjectCodec.OPENPGP, s.metadata("wal/a.zst").get(ObjectCodec.ENCRYPTION));
        assertEquals("segment", s.metadata("wal/a.zst").get("pitr-kind"));
        assertArrayEquals(data, read(c, s, "wal/a.zst", true));
        // the body holds neither the plain bytes nor the zstd frame in the clear
        byte[] body = Files.readAllBytes(s.root().resolve("wal/a.zst"));
        assertEquals(0xD2, body[0] & 0xff);
    }

    @Test
    void framesCompressedElsewhereAreStoredAsTheyAreAndReadBackPlain() throws IOException {
        LocalStorage s = storage();
        byte[] data = content(4);
        // as another program writes them: two frames, one after the other, level 1 and no checksum
        java.io.ByteArrayOutputStream frames = new java.io.ByteArrayOutputStream();
        frames.write(com.github.luben.zstd.Zstd.compress(java.util.Arrays.copyOf(data, 1000), 1));
        frames.write(com.github.luben.zstd.Zstd.compress(java.util.Arrays.copyOfRange(data, 1000, data.length), 1));
        for (Keyring k : List.of(Keyring.none(), Keyring.of(A, List.of()))) {
            ObjectCodec c = codec(k);
            String key = "snapshots/s/" + (k.current().isPresent() ? "enc" : "plain") + ".tar.zst";
            ObjectCodec.Stored st = c.putCompressed(s, key, Map.of("pitr-kind", "snapshot"), frames::writeTo);
            assertArrayEquals(data, read(c, s, key, k.current().isPresent()), key);
            if (k.current().isEmpty()) {
                // not compressed again: the body is the frames themselves
                assertArrayEquals(
                        frames.toByteArray(), Files.readAllBytes(s.root().resolve(key)));
                assertNull(st.keyId());
            } else {
                assertEquals(A.keyId(), st.keyId());
                assertEquals(0xD2, Files.readAllBytes(s.root().resolve(key))[0] & 0xff);
            }
        }
    }

    @Test
    void everyFlippedByteIsRefused() throws IOException {
        LocalStorage s = storage();
        ObjectCodec c = codec(Keyring.of(A, List.of()));
        c.put(s, "wal/a.zst", Map.of(), out -> out.write(content(3)));
        Path file = s.root().resolve("wal/a.zst");
        byte[] good = Files.readAllBytes(file);
        Random r = new Random(7);
        for (int i = 0; i < 40; i++) {
            int at = i < 3 ? new int[] {1, good.length / 2, good.length - 1}[i] : r.nextInt(good.length);
            byte[] bad = good.clone();
            bad[at] ^= (byte) (1 << r.nextInt(8));
            Files.write(file, bad);
            assertRefused(c, s, "wal/a.zst", "a flip at byte " + at);
        }
    }

    @Test
    void aTruncatedBodyIsRefused() throws IOException {
        LocalStorage s = storage();
        ObjectCodec c = codec(Keyring.of(A, List.of()));
        c.put(s, "wal/a.zst", Map.of(), out -> out.write(content(4)));
        Path file = s.root().resolve("wal/a.zst");
        byte[] good = Files.readAllBytes(file);
        for (int len : new int[] {good.length - 1, good.length - 22, good.length / 2, 65_540, 100}) {
            Files.write(file, java.util.Arrays.copyOf(good, len));
            assertRefused(c, s, "wal/a.zst", "a cut to " + len + " bytes");
        }
    }

    @Test
    void swappedBodiesAreRefused() throws IOException {
        LocalStorage s = storage();
        ObjectCodec c = codec(Keyring.of(A, List.of()));
        c.put(s, "wal/a.zst", Map.of(), out -> out.write(content(5)));
        c.put(s, "wal/b.zst", Map.of(), out -> out.write(content(6)));
        Path a = s.root().resolve("wal/a.zst");
        Path b = s.root().resolve("wal/b.zst");
        byte[] ab = Files.readAllBytes(a);
        Files.write(a, Files.readAllBytes(b));
        Files.write(b, ab);
        assertRefused(c, s, "wal/a.zst", "b's body under a");
        assertRefused(c, s, "wal/b.zst", "a's body under b");
    }

    @Test
    void aPlainBodyInPlaceOfAnEncryptedOneIsRefused() throws IOException {
        LocalStorage s = storage();
        putEncrypted(s);
        codec(Keyring.none()).put(s, "wal/a.zst", Map.of(), out -> out.write(content(8)));
        PitrException e =
                assertThrows(PitrException.class, () -> read(codec(Keyring.of(A, List.of())), s, "wal/a.zst", true));
        assertEquals(ErrorCode.CORRUPT_OBJECT, e.code());
        assertTrue(e.getMessage().contains("wal/a.zst"), e.getMessage());
    }

    private static void putEncrypted(LocalStorage s) {
        codec(Keyring.of(A, List.of())).put(s, "wal/a.zst", Map.of(), out -> out.write(content(7)));
    }

    @Test
    void aWrongKeyIsRefusedByNameAndARetiredKeyStillOpens() throws IOException {
        LocalStorage s = storage();
        byte[] old = content(9);
        codec(Keyring.of(A, List.of())).put(s, "wal/old.zst", Map.of(), out -> out.write(old));
        PitrException e =
                assertThrows(PitrException.class, () -> read(codec(Keyring.of(B, List.of())), s, "wal/old.zst", true));
        assertEquals(ErrorCode.KEY_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("wal/old.zst") && e.getMessage().contains(A.keyId()), e.getMessage());
        assertEquals(
                ErrorCode.KEY_UNAVAILABLE,
                assertThrows(PitrException.class, () -> read(codec(Keyring.none()), s, "wal/old.zst", false))
                        .code());

        ObjectCodec rotated = codec(Keyring.of(B, List.of(A)));
        byte[] fresh = content(10);
        assertEquals(
                B.keyId(),
                rotated.put(s, "wal/new.zst", Map.of(), out -> out.write(fresh)).keyId());
        assertArrayEquals(old, read(rotated, s, "wal/old.zst", true));
        assertArrayEquals(fresh, read(rotated, s, "wal/new.zst", true));
        assertTrue(rotated.keyring().isRetired(A.keyId()));
        assertFalse(rotated.keyring().isRetired(B.keyId()));
    }

    @Test
    void aMissingEnvelopeIsNamed() throws IOException {
        LocalStorage s = storage();
        putEncrypted(s);
        s.delete(ObjectCodec.envelopeKey("wal/a.zst"));
        PitrException e =
                assertThrows(PitrException.class, () -> read(codec(Keyring.of(A, List.of())), s, "wal/a.zst", true));
        assertEquals(ErrorCode.CORRUPT_OBJECT, e.code());
        assertTrue(e.getMessage().contains(ObjectCodec.envelopeKey("wal/a.zst")), e.getMessage());
    }

    /**
     * The envelope the fuzzer found (its first byte chose the envelope case): an Argon2 S2K whose memory parameter made
     * Bouncy Castle allocate past any heap. It is refused as corrupt, by the field, before any parser sees it.
     */
    @Test
    void theArgon2EnvelopeFoundByFuzzingIsRefusedAsCorruptAtOnce() throws IOException {
        LocalStorage s = storage();
        putEncrypted(s);
        byte[] input;
        try (InputStream in =
                getClass().getResourceAsStream("ObjectCodecFuzzTestInputs/anyObjectIsReadOrRefused/oom-argon2-s2k")) {
            input = in.readAllBytes();
        }
        s.delete(ObjectCodec.envelopeKey("wal/a.zst"));
        s.put(ObjectCodec.envelopeKey("wal/a.zst"), Map.of(), out -> out.write(input, 1, input.length - 1));
        long start = System.nanoTime();
        PitrException e =
                assertThrows(PitrException.class, () -> read(codec(Keyring.of(A, List.of(B))), s, "wal/a.zst", true));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ErrorCode.CORRUPT_OBJECT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("envelopes/wal/a.zst is not one pitr writes: its cipher"), e.getMessage());
        assertTrue(millis < 1000, "took " + millis + " ms");
    }

    /** The reader must fail before it reports the end of the data: nothing damaged is ever handed on as complete. */
    private static void assertRefused(ObjectCodec c, LocalStorage s, String key, String what) {
        Exception e = assertThrows(Exception.class, () -> read(c, s, key, true), what + " was not detected");
        assertTrue(e instanceof IOException || e instanceof PitrException, what + ": " + e);
    }

    /** The stored body is closed with the stream that decodes it: on S3 an open body holds a connection of the pool. */
    @Test
    void closingTheDecodedStreamClosesTheStoredBody() throws IOException {
        LocalStorage local = storage();
        ObjectCodec c = codec(Keyring.of(A, List.of())).acceptingPlain(true);
        byte[] content = content(7);
        c.put(local, "enc", Map.of(), out -> out.write(content));
        codec(Keyring.none()).put(local, "plain", Map.of(), out -> out.write(content));
        List<String> open = new java.util.ArrayList<>();
        dev.pitr.storage.Storage counting = new dev.pitr.storage.ForwardingStorage(local) {
            @Override
            public InputStream open(String key) {
                open.add(key);
                return new java.io.FilterInputStream(local.open(key)) {
                    @Override
                    public void close() throws IOException {
                        open.remove(key);
                        super.close();
                    }
                };
            }
        };
        for (String key : List.of("enc", "plain")) {
            // read to the end, and read only its start
            assertArrayEquals(content, read(c, counting, key));
            assertEquals(List.of(), open, key);
            try (InputStream in = c.open(counting, key, false)) {
                assertEquals(100, in.readNBytes(100).length);
            }
            assertEquals(List.of(), open, key);
        }
    }

    private static byte[] read(ObjectCodec c, dev.pitr.storage.Storage s, String key) throws IOException {
        try (InputStream in = c.open(s, key, false)) {
            return in.readAllBytes();
        }
    }
}
