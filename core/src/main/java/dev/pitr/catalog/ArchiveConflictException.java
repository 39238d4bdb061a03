package dev.pitr.catalog;

import dev.pitr.codec.Checksum;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** The archive already holds a different object under the same name; nothing was overwritten. */
public class ArchiveConflictException extends PitrException {
    private static final long serialVersionUID = 1L;

    private final String recorded;
    private final boolean otherKind;

    public ArchiveConflictException(String message) {
        this(message, null, false);
    }

    private ArchiveConflictException(String message, String recorded, boolean otherKind) {
        super(
                ErrorCode.ARCHIVE_CONFLICT,
                message,
                "two clusters may be archiving into the same repository; give each cluster its own repository");
        this.recorded = recorded;
        this.otherKind = otherKind;
    }

    /**
     * {@code name} is recorded with checksum {@code recorded} and offered with {@code offered}. When the two are of
     * different kinds (a SHA-256 recorded before CRC-32C, a CRC-32C offered now), the catalog cannot tell whether the
     * bytes differ: {@link #otherKind} says so, and a caller holding the bytes compares them with {@link #recorded}.
     */
    public static ArchiveConflictException of(String name, String recorded, String offered) {
        boolean other =
                Checksum.isValid(recorded) && Checksum.isValid(offered) && !Checksum.sameKind(recorded, offered);
        return new ArchiveConflictException(
                name
                        + (other
                                ? " is already archived with a checksum of another kind"
                                : " is already archived with a different checksum")
                        + " (archived " + recorded + ", offered " + offered + ")",
                recorded,
                other);
    }

    /** The checksum the archive records for the name, when {@link #of} gave it. */
    public String recorded() {
        return recorded;
    }

    /** True when the recorded checksum is of another kind than the one offered: the bytes may well be the same. */
    public boolean otherKind() {
        return otherKind;
    }
}
