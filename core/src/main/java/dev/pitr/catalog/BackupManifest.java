package dev.pitr.catalog;

/**
 * Where a snapshot's PostgreSQL {@code backup_manifest} is: an object of its own beside the snapshot ({@code
 * storageKey}, compressed and encrypted like every object), and the checksum and size of its plain text. The catalog
 * keeps this reference, not the manifest (about 150 bytes per file of the database), so a snapshot's record stays small.
 */
public record BackupManifest(String storageKey, String sha256, long size) {

    public BackupManifest {
        if (storageKey == null || storageKey.isBlank() || storageKey.contains(" ")) {
            throw new IllegalArgumentException("a backup_manifest needs a storage key without spaces: " + storageKey);
        }
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a sha256: " + sha256);
        }
    }

    /**
     * The manifest's text, read from {@code storage} through {@code codec} and checked against its sha256. A failure
     * of storage to give it ({@code PitrException}) passes as it is.
     *
     * @throws java.io.IOException when it cannot be decoded or does not match its checksum
     */
    public byte[] read(dev.pitr.codec.ObjectCodec codec, dev.pitr.storage.Storage storage, boolean encrypted)
            throws java.io.IOException {
        byte[] text;
        try (java.io.InputStream in = codec.open(storage, storageKey, encrypted)) {
            text = in.readAllBytes();
        }
        if (!dev.pitr.codec.Sha256.of(text).equals(sha256)) {
            throw new java.io.IOException(storageKey + " does not match its checksum");
        }
        return text;
    }

    /** The object's key for snapshot {@code id}. */
    public static String keyFor(SnapshotId id) {
        return "snapshots/" + id + "/backup_manifest";
    }

    /** One line of text, for catalogs that store the reference as one value: {@code <sha256> <size> <key>}. */
    public String text() {
        return sha256 + " " + size + " " + storageKey;
    }

    /**
     * Reads {@link #text()}. Null for null, and for what catalogs of earlier versions kept here, the manifest itself:
     * those snapshots have it in their sidecar {@code manifest.json} only.
     */
    public static BackupManifest parseOrNull(String text) {
        if (text == null) {
            return null;
        }
        String[] f = text.split(" ", 3);
        try {
            return f.length == 3 ? new BackupManifest(f[2], f[0], Long.parseLong(f[1])) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
