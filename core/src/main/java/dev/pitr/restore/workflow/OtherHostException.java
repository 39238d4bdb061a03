package dev.pitr.restore.workflow;

/**
 * A step of a restore that another agent prepared, taken by this one: one restore runs on one host from its first
 * step to its last, so this agent touches nothing and the state machine hands the step out again (it retries Tasks
 * that fail with this class's name), for the agent that prepared the target to take.
 */
public final class OtherHostException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public OtherHostException(String message) {
        super(message);
    }
}
