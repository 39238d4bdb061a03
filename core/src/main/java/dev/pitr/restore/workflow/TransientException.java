package dev.pitr.restore.workflow;

/**
 * A failure worth retrying: storage or catalog unreachable, or a write whose outcome is unknown. The state machine
 * retries Tasks that fail with this class's name.
 */
public final class TransientException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TransientException(String message, Throwable cause) {
        super(message, cause);
    }
}
