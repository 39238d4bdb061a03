package dev.pitr.storage;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** Storage could not do what was asked; the operation may be retried. */
public class StorageException extends PitrException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message, Throwable cause) {
        super(
                ErrorCode.STORAGE_UNAVAILABLE,
                message,
                "check that the repository is reachable and writable, then run the command again",
                cause);
    }

    public StorageException(ErrorCode code, String message, String hint, Throwable cause) {
        super(code, message, hint, cause);
    }
}
