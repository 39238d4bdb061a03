package dev.pitr.crypto;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** An envelope cannot be opened with the key at hand. */
public class WrongKeyException extends PitrException {
    private static final long serialVersionUID = 1L;

    public WrongKeyException(String message) {
        super(
                ErrorCode.KEY_UNAVAILABLE,
                message,
                "check encryption.* in the configuration: the key must be the one that wrapped the object, or a newer one after 'pitr keys rotate'");
    }
}
