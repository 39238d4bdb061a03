package dev.pitr.restore.workflow;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.util.Set;

/** Turns the error catalogue's failures into the typed exceptions the state machine retries or catches by name. */
public final class Failures {

    private static final Set<ErrorCode> TRANSIENT =
            Set.of(ErrorCode.STORAGE_UNAVAILABLE, ErrorCode.CATALOG_UNAVAILABLE, ErrorCode.CATALOG_OUTCOME_UNKNOWN);

    /** The plan's refusals: the target cannot be reached from what is archived. */
    private static final Set<ErrorCode> UNREACHABLE = Set.of(
            ErrorCode.TARGET_OUTSIDE_WINDOW,
            ErrorCode.WAL_GAP,
            ErrorCode.TIMELINE_UNREACHABLE,
            ErrorCode.SNAPSHOT_NOT_FOUND);

    private Failures() {}

    public static boolean unreachable(PitrException e) {
        return UNREACHABLE.contains(e.code());
    }

    /** The exception a step reports for {@code e}: transient ones are retried, everything else ends the restore. */
    public static RuntimeException typed(PitrException e) {
        String text = e.code().label() + ": " + e.getMessage() + (e.hint() == null ? "" : "\nHINT: " + e.hint());
        return TRANSIENT.contains(e.code()) ? new TransientException(text, e) : new RestoreException(text, e);
    }
}
