package dev.pitr.error;

import java.util.Locale;

/**
 * Every user-facing failure, with the exit code the CLI returns for it. Codes are stable: scripts and PostgreSQL's
 * {@code restore_command} handling depend on them.
 *
 * <p>PostgreSQL treats a {@code restore_command} exit status of 1..125 as "this file is not in the archive" and ends
 * recovery there, but aborts recovery on a status above 125. A segment that is genuinely absent therefore exits 1,
 * while every failure that might hide a segment we do have (storage or catalog unreachable, a corrupt object) exits
 * above 125 so that recovery stops instead of finishing early on a shorter history.
 */
public enum ErrorCode {
    /** {@code wal fetch}: the archive does not hold the file. PostgreSQL reads this as the end of the archive. */
    NOT_IN_ARCHIVE(1),
    /** Command line that picocli could not parse. */
    USAGE(2),
    CONFIG_MISSING(3),
    CONFIG_INVALID(4),
    BAD_TARGET(5),
    TARGET_OUTSIDE_WINDOW(6),
    TARGET_DIR_NOT_EMPTY(7),
    PRIMARY_UNREACHABLE(8),
    CHECK_FAILED(9),
    SNAPSHOT_NOT_FOUND(10),
    ARCHIVE_CONFLICT(11),
    WAL_GAP(12),
    BACKUP_FAILED(13),
    RESTORE_FAILED(14),
    TOOL_MISSING(15),
    INTERRUPTED(16),
    /** Another capture process holds the shipping lease for this cluster. */
    LEASE_HELD(17),
    /** The target's timeline cannot be reached from the snapshot: it branched off before it, or is not archived. */
    TIMELINE_UNREACHABLE(18),
    /** WAL of another cluster (another system identifier) than the one the repository archives; nothing is stored. */
    WRONG_CLUSTER(19),
    /**
     * The restore agent's configuration does not allow the target directory a request names: outside {@code
     * agent.restore_root}, relative, or emptied by force where that is not allowed. Nothing is touched.
     */
    TARGET_DIR_REFUSED(20),
    /**
     * A server, or WAL, of a PostgreSQL major version pitr does not read: {@code check} refuses the server, capture and
     * {@code wal push} refuse its segments; nothing of it is archived.
     */
    UNSUPPORTED_VERSION(21),
    /** {@code verify} found an object missing, damaged or not what the catalog says; it lists each. */
    VERIFY_FAILED(22),
    /**
     * A restore drill failed: the scratch restore did not reach its target (the error names why), or a check of the
     * restored server (amcheck, an operator's SQL) did not give what it expects. The drill is recorded either way.
     */
    DRILL_FAILED(23),
    /** Storage could not be read or written; above 125 so a restore_command failure aborts recovery. */
    STORAGE_UNAVAILABLE(140),
    /** Catalog could not be read or written; above 125 for the same reason. */
    CATALOG_UNAVAILABLE(141),
    /** An archived object failed its checksum or could not be decoded; never handed to PostgreSQL. */
    CORRUPT_OBJECT(142),
    /**
     * A catalog write timed out or its connection dropped: it may or may not have been applied. Nothing is deleted on
     * this outcome; the write is idempotent and is repeated.
     */
    CATALOG_OUTCOME_UNKNOWN(145),
    /** The bucket or the table the configuration names does not exist. */
    REPOSITORY_NOT_FOUND(147),
    /** Storage or catalog refused the credentials, or they lack a permission. */
    ACCESS_DENIED(148),
    /**
     * No key this host holds opens an object's key envelope: the wrong key, a retired key left out of the
     * configuration, or a host that holds only the public key. Above 125 so recovery stops instead of ending early.
     */
    KEY_UNAVAILABLE(149),
    /** A local file could not be read or written (disk full, permissions); above 125 for the same reason. */
    LOCAL_IO(144),
    /**
     * {@code wal fetch} failed for a reason whose own code is 125 or below (a bad configuration, say). It exits with this
     * code instead, because a low code would tell PostgreSQL the archive ended and let recovery finish early.
     */
    FETCH_ABORTED(146),
    /**
     * The storage or catalog service rejected the request itself (an HTTP 4xx that is not a denial, a missing
     * resource, throttling, a conflict or a timeout: an operation it does not support, a malformed request): repeating
     * it will not help. Above 125 for the same reason as the others.
     */
    SERVICE_REJECTED(151),
    /** A bug: something the code did not expect. */
    INTERNAL(150);

    private final int exitCode;

    ErrorCode(int exitCode) {
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The code whose exit code this is. */
    public static ErrorCode ofExitCode(int exitCode) {
        for (ErrorCode c : values()) {
            if (c.exitCode == exitCode) {
                return c;
            }
        }
        throw new IllegalArgumentException("no error code exits " + exitCode);
    }

    /** The code's name as printed to users, e.g. {@code target-dir-not-empty}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
