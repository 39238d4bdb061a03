package dev.pitr.restore.workflow;

/**
 * A restore step failed for a reason a retry will not fix. The message starts with the error's label from the error
 * catalogue (e.g. {@code restore-failed: ...}) and ends with its hint; the state machine catches it into Record-failure.
 */
public final class RestoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RestoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
