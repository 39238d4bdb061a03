package dev.pitr.crypto;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** A key envelope is not in the shape pitr writes: damaged or planted, and never handed to the OpenPGP parser. */
public class MalformedEnvelopeException extends PitrException {
    private static final long serialVersionUID = 1L;

    private final String field;

    /** {@code field} says which field differs from what pitr writes, and how. */
    public MalformedEnvelopeException(String field) {
        super(
                ErrorCode.CORRUPT_OBJECT,
                "not a key envelope pitr writes: " + field,
                "restore the envelope from a bucket version or another copy; the object it opens is not used");
        this.field = field;
    }

    /** Which field differs, and how. */
    public String field() {
        return field;
    }
}
