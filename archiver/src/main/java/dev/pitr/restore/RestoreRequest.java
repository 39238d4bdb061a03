package dev.pitr.restore;

import dev.pitr.catalog.SnapshotId;
import java.nio.file.Path;

/** Everything {@code pitr restore} was asked to do. {@code snapshot} is null to let the plan pick one. */
public record RestoreRequest(
    RestoreTarget target, Path targetDir, int port, Action action, SnapshotId snapshot, boolean force) {

  /** What the restored server does when it reaches the target (PostgreSQL's recovery_target_action). */
  public enum Action {
    PROMOTE,
    PAUSE,
    SHUTDOWN;

    public String setting() {
      return name().toLowerCase();
    }
  }
}
