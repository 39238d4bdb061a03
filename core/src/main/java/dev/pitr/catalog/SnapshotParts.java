package dev.pitr.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot stored in parts. Each part is a tar of its own, compressed and encrypted like every object: whole entries
 * of pg_basebackup's tar, in its order, up to {@link #PART_SIZE} plain bytes, or one larger file alone. An index object
 * names the parts, each with the checksum ({@code checksum}; {@code sha256} in indexes written before CRC-32C) and size
 * of its plain tar and the names of its entries as its tar names them
 * (a directory's with a trailing {@code /}). The snapshot's record points at the index ({@code parts.<run>.json})
 * and holds the index's sha256, so a restore checks the index against the catalog and each part against the index,
 * and can lay each part down, or pass it over, on its own. Snapshots taken before parts are one object, {@code
 * base.tar.zst}, whose sha256 the record holds.
 */
public record SnapshotParts(List<Part> parts) {

    /** A part holds entries up to this many plain bytes, unless one entry alone is larger. */
    public static final long PART_SIZE = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    public SnapshotParts {
        parts = List.copyOf(parts);
    }

    /**
     * One tar of the snapshot: where it is stored, its plain tar's checksum ({@link dev.pitr.codec.Checksum}) and size,
     * its stored size, its entries.
     */
    public record Part(String storageKey, String checksum, long plainSize, long storedSize, List<String> entries) {
        public Part {
            if (!dev.pitr.codec.Checksum.isValid(checksum)) {
                throw new IllegalArgumentException("not a checksum: " + checksum);
            }
            if (plainSize < 0 || storedSize < 0) {
                throw new IllegalArgumentException("a part's sizes cannot be negative");
            }
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("a part holds at least one entry");
            }
            entries = List.copyOf(entries);
        }
    }

    /** True when a snapshot's {@code storageKey} is an index of parts, not the one object of an earlier snapshot. */
    public static boolean isIndex(String storageKey) {
        return INDEX.matcher(storageKey.substring(storageKey.lastIndexOf('/') + 1))
                .matches();
    }

    private static final java.util.regex.Pattern INDEX =
            java.util.regex.Pattern.compile("parts\\.[0-9a-f]{8,64}\\.json");

    /**
     * The index object's key for snapshot {@code id}, taken by the run {@code run} (a random token: two runs that
     * chose the same id never write each other's objects).
     */
    public static String indexKey(SnapshotId id, String run) {
        return "snapshots/" + id + "/parts." + run + ".json";
    }

    /**
     * The key of the one object of snapshot {@code id} as the server compressed it, taken by the run {@code run}: a
     * snapshot of one object, as those taken before parts were.
     */
    public static String serverCompressedKey(SnapshotId id, String run) {
        return "snapshots/" + id + "/base." + run + ".tar.zst";
    }

    /** True when a snapshot's {@code storageKey} is the one object the server compressed ({@link #serverCompressedKey}). */
    public static boolean isServerCompressed(String storageKey) {
        return SERVER_COMPRESSED
                .matcher(storageKey.substring(storageKey.lastIndexOf('/') + 1))
                .matches();
    }

    private static final java.util.regex.Pattern SERVER_COMPRESSED =
            java.util.regex.Pattern.compile("base\\.[0-9a-f]{8,64}\\.tar\\.zst");

    /** The key of part {@code n} (from 0) of snapshot {@code id}, taken by the run {@code run}. */
    public static String partKey(SnapshotId id, String run, int n) {
        return String.format(java.util.Locale.ROOT, "snapshots/%s/base.%s.%05d.tar.zst", id, run, n);
    }

    /** A new run's token. */
    public static String newRun() {
        byte[] b = new byte[6];
        new java.security.SecureRandom().nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    /** The plain bytes of every part. */
    public long plainSize() {
        return parts.stream().mapToLong(Part::plainSize).sum();
    }

    /** The stored bytes of every part. */
    public long storedSize() {
        return parts.stream().mapToLong(Part::storedSize).sum();
    }

    /** The index's text. */
    public byte[] json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ArrayNode ps = root.putArray("parts");
        for (Part p : parts) {
            ObjectNode n = ps.addObject();
            n.put("key", p.storageKey());
            n.put("checksum", p.checksum());
            n.put("plain_size", p.plainSize());
            n.put("stored_size", p.storedSize());
            ArrayNode es = n.putArray("entries");
            p.entries().forEach(es::add);
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads an index's text. Every part must be stored in the directory of {@code indexKey}.
     *
     * @throws IOException when it is not an index pitr writes
     */
    public static SnapshotParts parse(byte[] json, String indexKey) throws IOException {
        String dir = indexKey.substring(0, indexKey.lastIndexOf('/') + 1);
        String name = indexKey.substring(dir.length());
        if (!INDEX.matcher(name).matches()) {
            throw new IOException(indexKey + " is not the key of an index of a snapshot's parts");
        }
        String run = name.substring("parts.".length(), name.length() - ".json".length());
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null
                    || root.path("version").asInt() != 1
                    || !root.path("parts").isArray()) {
                throw new IOException(indexKey + " is not an index of a snapshot's parts");
            }
            List<Part> parts = new ArrayList<>();
            for (JsonNode n : root.path("parts")) {
                String key = n.path("key").asText("");
                if (!key.startsWith(dir)
                        || !key.substring(dir.length()).matches("base\\." + run + "\\.[0-9]{5}\\.tar\\.zst")) {
                    throw new IOException(indexKey + " names a part outside its snapshot: " + key);
                }
                List<String> entries = new ArrayList<>();
                for (JsonNode e : n.path("entries")) {
                    entries.add(e.asText());
                }
                parts.add(new Part(
                        key,
                        n.has("checksum")
                                ? n.path("checksum").asText()
                                : n.path("sha256").asText(),
                        n.path("plain_size").asLong(-1),
                        n.path("stored_size").asLong(-1),
                        entries));
            }
            return new SnapshotParts(parts);
        } catch (IllegalArgumentException e) {
            throw new IOException(indexKey + ": " + e.getMessage(), e);
        }
    }

    /**
     * The index of snapshot {@code s}, read from {@code storage} through {@code codec} and checked against the sha256
     * its record holds. A failure of storage to give it ({@code PitrException}) passes as it is.
     *
     * @throws IOException when it cannot be decoded, does not match its checksum or is not an index
     */
    public static SnapshotParts read(ObjectCodec codec, Storage storage, SnapshotRecord s) throws IOException {
        byte[] text;
        try (InputStream in = codec.open(storage, s.storageKey(), s.keyId() != null)) {
            text = in.readAllBytes();
        }
        if (!Sha256.of(text).equals(s.sha256())) {
            throw new IOException(s.storageKey() + " does not match its checksum");
        }
        return parse(text, s.storageKey());
    }
}
