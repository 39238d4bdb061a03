package dev.pitr.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where archived objects live. Keys are relative, slash-separated paths such as {@code wal/0000000100000000/...}.
 *
 * <p>Contract every implementation meets (checked by {@code StorageContractTest}):
 *
 * <ul>
 *   <li>{@link #put} is atomic and durable: when it returns, the whole object is stored and survives a crash; when it
 *       throws, no object (and no partial object) is visible under the key. An existing object is replaced only by a
 *       complete new one; callers that must never overwrite check {@link #stat} first.
 *   <li>{@link #open} of a missing key throws {@link ObjectNotFoundException}, never returns an empty stream.
 *   <li>{@link #list} returns every key under the prefix, sorted lexicographically, with no temporary objects.
 *   <li>{@link #delete} of a missing key is not an error.
 *   <li>{@link #expire} hands an object to the storage's own removal, once the catalog no longer calls it restorable:
 *       local storage deletes it at once, S3 tags it for the bucket's lifecycle rule (which keeps the version as
 *       noncurrent for a while). Expiring a missing or already expired key is not an error.
 *   <li>Metadata given to {@link #put} is stored with the object and replaced with it; {@link #metadata} returns it
 *       exactly. Names are lowercase {@code [a-z0-9-]}, values printable ASCII, 2 KiB in all (the S3 limit). It makes
 *       objects self-describing, so the catalog can be rebuilt from storage alone.
 *   <li>Any other failure is a {@link StorageException}.
 * </ul>
 */
public interface Storage {

    /** The object {@code pitr check} writes and deletes again, to prove the storage writable. */
    String PROBE_KEY = ".pitr-check";

    /** Writes the bytes a {@link Writer} produces. */
    @FunctionalInterface
    interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * The directory that holds the objects, for a storage that is a directory on this host: another process here
     * (restore_command, run by the server's OS user) reads the archive there. Empty for a storage that is a service.
     */
    default Optional<Path> localRoot() {
        return Optional.empty();
    }

    /** The most bytes one object may hold, where the storage has a limit of its own (S3's parts); empty where not. */
    default java.util.OptionalLong largestObject() {
        return java.util.OptionalLong.empty();
    }

    /** Stores the object with its metadata; see the class contract for atomicity. Returns the stored size in bytes. */
    long put(String key, Map<String, String> metadata, Writer writer);

    /** Stores the object without metadata. */
    default long put(String key, Writer writer) {
        return put(key, Map.of(), writer);
    }

    /** The metadata stored with the object; throws {@link ObjectNotFoundException} when it does not exist. */
    Map<String, String> metadata(String key);

    /** Opens the object for reading; the caller closes the stream. */
    InputStream open(String key);

    /** Size of the object, or empty when it does not exist. */
    Optional<Long> stat(String key);

    /** Every key that starts with {@code prefix}, sorted. */
    List<String> list(String prefix);

    void delete(String key);

    /**
     * Deletes each of {@code keys}, missing ones included, as {@link #delete} does; a store may do it in fewer requests
     * (S3: one per thousand keys).
     */
    default void deleteAll(List<String> keys) {
        keys.forEach(this::delete);
    }

    /** Hands the object to the storage's removal; see the class contract. */
    void expire(String key);

    /** A short description for messages, e.g. {@code file:///var/lib/pitr/repo}. */
    String describe();
}
