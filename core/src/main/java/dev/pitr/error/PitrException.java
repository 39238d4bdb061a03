package dev.pitr.error;

/** A failure the user can act on: what went wrong, in lowercase, and a hint that says what to do next. */
public class PitrException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String hint;

    public PitrException(ErrorCode code, String message, String hint) {
        this(code, message, hint, null);
    }

    public PitrException(ErrorCode code, String message, String hint, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.hint = hint;
    }

    public ErrorCode code() {
        return code;
    }

    public String hint() {
        return hint;
    }
}
