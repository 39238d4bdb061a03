package dev.pitr.restore;

import dev.pitr.catalog.SnapshotId;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Everything {@code pitr restore} was asked to do. {@code snapshot} is null to let the plan pick one; {@code
 * inclusive} false stops just before the target (PostgreSQL's {@code recovery_target_inclusive = off}); {@code delta}
 * restores into a stopped data directory of the same cluster, keeping the files that already match.
 */
public record RestoreRequest(
        RestoreTarget target,
        TargetTimeline timeline,
        boolean inclusive,
        Path targetDir,
        int port,
        Action action,
        SnapshotId snapshot,
        boolean force,
        boolean delta) {

    /** A request that is not a delta restore. */
    public RestoreRequest(
            RestoreTarget target,
            TargetTimeline timeline,
            boolean inclusive,
            Path targetDir,
            int port,
            Action action,
            SnapshotId snapshot,
            boolean force) {
        this(target, timeline, inclusive, targetDir, port, action, snapshot, force, false);
    }

    /** What the restored server does when it reaches the target (PostgreSQL's recovery_target_action). */
    public enum Action {
        PROMOTE,
        PAUSE,
        SHUTDOWN;

        public String setting() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A request with the usual defaults: the latest timeline, the target included. */
    public static RestoreRequest of(RestoreTarget target, Path targetDir, int port, Action action) {
        return new RestoreRequest(target, new TargetTimeline.Latest(), true, targetDir, port, action, null, false);
    }
}
