package dev.pitr.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pitr.crypto.KeyWrapper;
import dev.pitr.crypto.Keyring;
import dev.pitr.crypto.SecretKeyWrapper;
import dev.pitr.error.PitrException;
import dev.pitr.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The object-format reader on any bytes, as a restore meets a damaged or hostile repository: opening and reading an
 * object either gives bytes or fails with {@link IOException} or {@link PitrException}; nothing else escapes, and it
 * ends without allocating past what the input could hold. The first input byte picks what is fuzzed: a plain body
 * (zstd), an encrypted body (OpenPGP) under a valid envelope, or the envelope (under a valid body). Seeds are real
 * objects written by {@link ObjectCodec}; see {@link dev.pitr.wal.WalRecordsFuzzTest} for how the inputs are used.
 */
class ObjectCodecFuzzTest {

    static final KeyWrapper KEY = SecretKeyWrapper.fromKey(new byte[32]);
    private static final ObjectCodec CODEC = new ObjectCodec(new Zstd(3), Keyring.of(KEY, List.of()));

    /** Loaded on first use, so that {@link #main} can make them. */
    private static final class Valid {
        static final Map<String, byte[]> OBJECTS = valid();
    }

    @FuzzTest(maxDuration = "60s")
    void anyObjectIsReadOrRefused(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] fuzzed = Arrays.copyOfRange(input, 1, input.length);
        Memory storage = new Memory();
        switch (input[0] & 3) {
            case 0 -> storage.objects.put("o", fuzzed);
            case 1 -> {
                storage.objects.put("o", fuzzed);
                storage.objects.put(ObjectCodec.envelopeKey("o"), Valid.OBJECTS.get(ObjectCodec.envelopeKey("o")));
            }
            default -> {
                storage.objects.put("o", Valid.OBJECTS.get("o"));
                storage.objects.put(ObjectCodec.envelopeKey("o"), fuzzed);
            }
        }
        try (InputStream in = CODEC.open(storage, "o", (input[0] & 4) != 0)) {
            byte[] buf = new byte[8192];
            while (in.read(buf) >= 0) {
                // the reader checks everything before it reports the end
            }
        } catch (IOException | PitrException e) {
            // refused: what a damaged object must get
        }
    }

    /**
     * A valid encrypted object and its envelope (made once by {@link #main} and kept beside the seeds, so that the seeds
     * that hold a body match the envelope), for the cases that fuzz the other half.
     */
    private static Map<String, byte[]> valid() {
        try (InputStream body = ObjectCodecFuzzTest.class.getResourceAsStream("fuzz-valid-body.bin");
                InputStream envelope = ObjectCodecFuzzTest.class.getResourceAsStream("fuzz-valid-envelope.bin")) {
            return Map.of("o", body.readAllBytes(), ObjectCodec.envelopeKey("o"), envelope.readAllBytes());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Writes the valid object and envelope, and one seed per case, into {@code args[0]} (the test resources). */
    public static void main(String[] args) throws IOException {
        java.nio.file.Path dir = java.nio.file.Path.of(args[0], "dev/pitr/codec");
        java.nio.file.Path seeds = java.nio.file.Files.createDirectories(
                dir.resolve("ObjectCodecFuzzTestInputs/anyObjectIsReadOrRefused"));
        Memory m = new Memory();
        byte[] content = "pitr object body ".repeat(2000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        CODEC.put(m, "o", Map.of(), out -> out.write(content));
        java.nio.file.Files.write(dir.resolve("fuzz-valid-body.bin"), m.objects.get("o"));
        java.nio.file.Files.write(dir.resolve("fuzz-valid-envelope.bin"), m.objects.get(ObjectCodec.envelopeKey("o")));
        Memory plain = new Memory();
        new ObjectCodec(new Zstd(3), Keyring.none()).put(plain, "o", Map.of(), out -> out.write(content));
        java.nio.file.Files.write(seeds.resolve("plain-body"), prefixed(0, plain.objects.get("o")));
        java.nio.file.Files.write(seeds.resolve("encrypted-body"), prefixed(5, m.objects.get("o")));
        java.nio.file.Files.write(seeds.resolve("envelope"), prefixed(2, m.objects.get(ObjectCodec.envelopeKey("o"))));
    }

    private static byte[] prefixed(int mode, byte[] b) {
        byte[] out = new byte[b.length + 1];
        out[0] = (byte) mode;
        System.arraycopy(b, 0, out, 1, b.length);
        return out;
    }

    /** Objects in memory; the reader's only storage calls are open (and metadata for key ids). */
    static final class Memory implements Storage {
        final Map<String, byte[]> objects = new HashMap<>();

        @Override
        public long put(String key, Map<String, String> metadata, Writer writer) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try {
                writer.writeTo(b);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            objects.put(key, b.toByteArray());
            return b.size();
        }

        @Override
        public Map<String, String> metadata(String key) {
            return Map.of();
        }

        @Override
        public InputStream open(String key) {
            byte[] b = objects.get(key);
            if (b == null) {
                throw new dev.pitr.storage.ObjectNotFoundException(key);
            }
            return new java.io.ByteArrayInputStream(b);
        }

        @Override
        public Optional<Long> stat(String key) {
            return Optional.ofNullable(objects.get(key)).map(b -> (long) b.length);
        }

        @Override
        public List<String> list(String prefix) {
            return objects.keySet().stream()
                    .filter(k -> k.startsWith(prefix))
                    .sorted()
                    .toList();
        }

        @Override
        public void delete(String key) {
            objects.remove(key);
        }

        @Override
        public void expire(String key) {
            objects.remove(key);
        }

        @Override
        public String describe() {
            return "memory";
        }
    }
}
