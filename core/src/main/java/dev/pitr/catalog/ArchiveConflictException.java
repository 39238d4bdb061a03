package dev.pitr.catalog;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** The archive already holds a different object under the same name; nothing was overwritten. */
public class ArchiveConflictException extends PitrException {
    private static final long serialVersionUID = 1L;

    public ArchiveConflictException(String message) {
        super(
                ErrorCode.ARCHIVE_CONFLICT,
                message,
                "two clusters may be archiving into the same repository; give each cluster its own repository");
    }
}
