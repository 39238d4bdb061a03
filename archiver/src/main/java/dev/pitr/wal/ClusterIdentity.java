package dev.pitr.wal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.ObjectNotFoundException;
import dev.pitr.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The cluster a repository archives, by PostgreSQL's system identifier and major version. Both are recorded in storage
 * with the first segment shipped, and every segment after it must name the same in its first page: another cluster's
 * WAL (an archive_command copied to the wrong host, a capture pointed at the wrong primary, the cluster pg_upgrade made)
 * is refused before anything of it is stored, so it can neither reach into the restorable window nor take a name the
 * cluster's own segment needs. A record written before the version was kept names none: the next segment of its
 * cluster adds it.
 */
public final class ClusterIdentity {

    /** The object that records it, at the repository's root. */
    static final String KEY = "pitr-cluster.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Storage storage;
    private String known;
    /** The recorded major version; 0 when the record names none. */
    private int knownMajor;

    ClusterIdentity(Storage storage) {
        this.storage = storage;
    }

    /**
     * Checks that {@code segment}, whose first page names {@code systemIdentifier} and is WAL of {@code format},
     * belongs to this repository's cluster; the first segment ever shipped records its cluster as the repository's.
     *
     * @throws PitrException {@link ErrorCode#WRONG_CLUSTER} when it names another cluster or version
     */
    synchronized void check(SegmentName segment, long systemIdentifier, WalFormat format) {
        String id = Long.toUnsignedString(systemIdentifier);
        if (known == null) {
            recorded();
        }
        if (known == null || (knownMajor == 0 && known.equals(id))) {
            // the first segment records the cluster; a record an earlier pitr wrote gains the version of its own
            // cluster's WAL, the same content plus one field
            storage.put(
                    KEY,
                    Map.of(),
                    out -> out.write(JSON.createObjectNode()
                            .put("system_identifier", id)
                            .put("postgres_major", format.major())
                            .toString()
                            .getBytes(StandardCharsets.UTF_8)));
            known = id;
            knownMajor = format.major();
        }
        boolean otherVersion = knownMajor != 0 && knownMajor != format.major();
        if (!known.equals(id) || otherVersion) {
            String versions = otherVersion
                    ? " of PostgreSQL " + format.major() + ", but " + storage.describe() + " archives PostgreSQL "
                            + knownMajor + "'s cluster " + known
                    : ", but " + storage.describe() + " archives the cluster " + known;
            throw new PitrException(
                    ErrorCode.WRONG_CLUSTER,
                    segment.fileName() + " is WAL of the cluster with system identifier " + id + versions
                            + "; nothing was stored",
                    otherVersion
                            ? "a cluster pg_upgrade made is a new cluster: archive it into a repository of its own (another"
                                    + " storage path or prefix, and a new catalog), and keep this one for restores to before the upgrade"
                            : "point this archive_command or capture at the repository of its own cluster (SELECT"
                                    + " system_identifier FROM pg_control_system() names a server's); " + KEY
                                    + " records the repository's");
        }
    }

    /** The major version the repository records for its cluster; empty before its first segment, or when it names none. */
    public static java.util.OptionalInt recordedMajor(Storage storage) {
        ClusterIdentity c = new ClusterIdentity(storage);
        c.recorded();
        return c.knownMajor == 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(c.knownMajor);
    }

    /** The system identifier of the repository's cluster; empty before its first segment. */
    public static java.util.Optional<String> recordedSystemIdentifier(Storage storage) {
        ClusterIdentity c = new ClusterIdentity(storage);
        c.recorded();
        return java.util.Optional.ofNullable(c.known);
    }

    private void recorded() {
        try (InputStream in = storage.open(KEY)) {
            JsonNode n = JSON.readTree(in);
            String id = n == null ? null : n.path("system_identifier").asText(null);
            if (id == null || !id.matches("[0-9]{1,20}")) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        KEY + " in " + storage.describe() + " names no system identifier",
                        "restore it from a bucket version, or remove it so that the next segment shipped records its cluster again");
            }
            JsonNode m = n.get("postgres_major");
            if (m != null && !m.isInt()) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        KEY + " in " + storage.describe() + " names no PostgreSQL version as postgres_major: " + m,
                        "restore it from a bucket version, or remove it so that the next segment shipped records its cluster again");
            }
            int major = m == null ? 0 : m.asInt();
            if (m != null && WalFormat.ofMajor(major).isEmpty()) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        KEY + " in " + storage.describe() + " names PostgreSQL " + major
                                + ", a version pitr does not read",
                        "restore it from a bucket version, or remove it so that the next segment shipped records its cluster again");
            }
            known = id;
            knownMajor = major;
        } catch (ObjectNotFoundException e) {
            known = null;
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    KEY + " in " + storage.describe() + " cannot be read: " + e.getMessage(),
                    "restore it from a bucket version, or remove it so that the next segment records it again",
                    e);
        }
    }
}
