package dev.pitr.restore.workflow;

import java.util.Optional;

/**
 * Every state of the restore state machine, named once: its name in {@code restore.asl.json} and, for the steps the
 * restore host runs, the {@code step} its activity task carries. The local runner and the agent dispatch on this type,
 * and a test fails when the ASL and it disagree.
 */
public enum RestoreState {
    PLAN("Plan", null),
    TARGET_REACHABLE("TargetReachable", null),
    TARGET_UNREACHABLE("TargetUnreachable", null),
    PREPARE_TARGET("PrepareTarget", "prepare-target"),
    FETCH_SNAPSHOT("FetchSnapshot", "fetch-snapshot"),
    WRITE_RECOVERY_CONFIG("WriteRecoveryConfig", "write-recovery-config"),
    REPLAY("Replay", "replay"),
    VERIFY("Verify", "verify"),
    RECORD("Record", null),
    RESTORED("Restored", null),
    RECORD_FAILURE("RecordFailure", null),
    FAILED("Failed", null);

    private final String aslName;
    private final String step;

    RestoreState(String aslName, String step) {
        this.aslName = aslName;
        this.step = step;
    }

    /** The state's name in the ASL. */
    public String aslName() {
        return aslName;
    }

    /** The step the restore host's activity task names, for the states the host runs. */
    public Optional<String> step() {
        return Optional.ofNullable(step);
    }

    /** The state the ASL names {@code name}. */
    public static RestoreState ofAslName(String name) {
        for (RestoreState s : values()) {
            if (s.aslName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("the restore state machine has no state '" + name + "'");
    }

    /** The host's state whose activity task names {@code step}, if there is one. */
    public static Optional<RestoreState> ofStep(String step) {
        for (RestoreState s : values()) {
            if (step.equals(s.step)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
