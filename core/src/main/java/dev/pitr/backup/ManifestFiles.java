package dev.pitr.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The files a PostgreSQL {@code backup_manifest} lists, each with its size and checksum, and whether a file on disk
 * matches its entry: what a delta restore keeps. The checksum is computed as {@code pg_verifybackup} does, in the
 * algorithm the entry names ({@code CRC32C}, the default, is written as its four bytes in little-endian order; the
 * SHA-2 ones as their digest).
 */
public final class ManifestFiles {

    /** One file's entry. */
    public record Entry(String path, long size, String algorithm, String checksum) {}

    private final Map<String, Entry> entries;
    private final boolean complete;

    private ManifestFiles(Map<String, Entry> entries, boolean complete) {
        this.entries = entries;
        this.complete = complete;
    }

    /** False when the manifest lists a file by an encoded (non-UTF-8) path, which {@link #entries} leaves out. */
    public boolean complete() {
        return complete;
    }

    /**
     * Reads a manifest's {@code Files}. An entry with an encoded (non-UTF-8) path is left out: nothing on disk is ever
     * taken to match it.
     *
     * @throws IOException when it is not a manifest
     */
    public static ManifestFiles parse(byte[] manifest) throws IOException {
        JsonNode root = new ObjectMapper().readTree(manifest);
        if (root == null || !root.path("Files").isArray()) {
            throw new IOException("not a backup_manifest: no Files");
        }
        Map<String, Entry> m = new LinkedHashMap<>();
        boolean complete = true;
        for (JsonNode f : root.get("Files")) {
            complete &= f.has("Path");
            if (f.has("Path")) {
                String p = f.get("Path").asText();
                m.put(
                        p,
                        new Entry(
                                p,
                                f.path("Size").asLong(-1),
                                f.path("Checksum-Algorithm").asText("NONE"),
                                f.path("Checksum").asText("")));
            }
        }
        return new ManifestFiles(m, complete);
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /**
     * True when {@code file}, a regular file and no link, has the size and checksum the manifest gives {@code path};
     * false for anything else, an entry without a checksum among them.
     */
    public boolean matches(String path, Path file) throws IOException {
        Entry e = entries.get(path);
        if (e == null
                || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                || Files.size(file) != e.size()
                || e.algorithm().equals("NONE")) {
            return false;
        }
        return checksum(file, e.algorithm()).equalsIgnoreCase(e.checksum());
    }

    /** Each thread's buffer outside the heap: both sums take it as it is, without a copy. */
    private static final ThreadLocal<ByteBuffer> BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 20));

    /** {@code file}'s checksum in {@code algorithm}, as the manifest writes it. */
    public static String checksum(Path file, String algorithm) throws IOException {
        Sum sum = Sum.of(algorithm);
        ByteBuffer buf = BUFFER.get();
        buf.clear();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            while (ch.read(buf) > 0) {
                buf.flip();
                sum.update(buf);
                buf.clear();
            }
        }
        return sum.hex();
    }

    /** A checksum being computed in one of the manifest's algorithms (CRC32C, SHA224 to SHA512). */
    public static final class Sum {
        private final CRC32C crc;
        private final MessageDigest md;

        private Sum(CRC32C crc, MessageDigest md) {
            this.crc = crc;
            this.md = md;
        }

        /**
         * A sum in {@code algorithm}, as the manifest names it.
         *
         * @throws IOException for an algorithm this code does not compute
         */
        public static Sum of(String algorithm) throws IOException {
            if (algorithm.equals("CRC32C")) {
                return new Sum(new CRC32C(), null);
            }
            try {
                return new Sum(
                        null,
                        MessageDigest.getInstance(
                                algorithm.toUpperCase(Locale.ROOT).replace("SHA", "SHA-")));
            } catch (NoSuchAlgorithmException x) {
                throw new IOException("unknown checksum algorithm " + algorithm, x);
            }
        }

        public void update(ByteBuffer b) {
            if (crc != null) {
                crc.update(b);
            } else {
                md.update(b);
            }
        }

        public void update(byte[] b, int off, int len) {
            if (crc != null) {
                crc.update(b, off, len);
            } else {
                md.update(b, off, len);
            }
        }

        /** The sum as the manifest writes it: CRC32C's four bytes little-endian, a digest's bytes, in hex. */
        public String hex() {
            if (crc != null) {
                int v = (int) crc.getValue();
                return HexFormat.of()
                        .formatHex(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)});
            }
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
