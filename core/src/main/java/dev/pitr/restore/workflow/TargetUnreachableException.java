package dev.pitr.restore.workflow;

/**
 * The plan found the target outside the restorable window, in a gap, or on a timeline the snapshots cannot reach.
 * The Plan task does not throw it: it reports {@code reachable: false}, and the state machine's Choice sends the
 * execution to Record-failure under this name, with the plan's message (which names the window) as the cause.
 */
public final class TargetUnreachableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TargetUnreachableException(String message) {
        super(message);
    }
}
