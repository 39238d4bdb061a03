package dev.pitr.retention;

import dev.pitr.catalog.Catalog;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * One retention policy for the cluster, kept in its catalog, so that {@code pitr run} on the archiving host and the
 * retention function in AWS apply the same one. A runner whose own configuration sets retention keys records them when
 * none is recorded, applies them when they are the recorded ones, and is refused when they disagree. A host that sets
 * none applies the recorded policy, or records and applies the defaults when none is recorded; the function deployed
 * without a policy applies the recorded one, or nothing until one is recorded. {@code pitr retention set} makes a
 * host's policy the cluster's. Scheduled runs work the policy out first and then claim the day ({@link #slot}), so one
 * runner that may run runs each day.
 */
public final class ClusterRetention {

    /** The catalog's name for the setting. */
    public static final String SETTING = "retention_policy";

    /** The job scheduled runs claim, once a day. */
    public static final String JOB = "retention";

    private ClusterRetention() {}

    /**
     * The policy to apply, with {@code configured} the runner's own (empty when its configuration sets none) read from
     * {@code source}; a runner that sets none applies the recorded policy, or the defaults, which it records, when none
     * is recorded yet.
     */
    public static RetentionPolicy resolve(Catalog catalog, Optional<RetentionPolicy> configured, String source) {
        return resolve(catalog, configured, source, true);
    }

    /** As {@link #resolve(Catalog, Optional, String)}; with {@code record} false (a dry run) nothing is recorded. */
    public static RetentionPolicy resolve(
            Catalog catalog, Optional<RetentionPolicy> configured, String source, boolean record) {
        Optional<RetentionPolicy> recorded = recorded(catalog);
        return agreed(catalog, recorded, configured.or(() -> recorded).orElse(RetentionPolicy.DEFAULT), source, record);
    }

    /**
     * As {@link #resolve}, for a runner whose defaults are not a choice (the retention function, deployed without a
     * policy): with nothing configured and nothing recorded it applies nothing (empty), and waits for a host or {@code
     * pitr retention set} to record the cluster's policy.
     */
    public static Optional<RetentionPolicy> resolveOrWait(
            Catalog catalog, Optional<RetentionPolicy> configured, String source, boolean record) {
        Optional<RetentionPolicy> recorded = recorded(catalog);
        return configured.isEmpty()
                ? recorded
                : Optional.of(agreed(catalog, recorded, configured.get(), source, record));
    }

    /** {@code mine}, recorded when nothing is, refused when something else is. */
    private static RetentionPolicy agreed(
            Catalog catalog, Optional<RetentionPolicy> recorded, RetentionPolicy mine, String source, boolean record) {
        if (recorded.isEmpty()) {
            if (record) {
                catalog.putClusterSetting(SETTING, mine.encode());
            }
            return mine;
        }
        if (!recorded.get().equals(mine)) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "the retention policy of " + source + " (" + mine.describe() + ", in " + mine.zone()
                            + ") is not the cluster's, recorded in the catalog ("
                            + recorded.get().describe() + ", in "
                            + recorded.get().zone() + ")",
                    "make the retention.* keys and timezone of " + source + " match the cluster's, or remove the"
                            + " retention.* keys to apply the cluster's; 'pitr retention set' makes this host's"
                            + " policy the cluster's");
        }
        return mine;
    }

    /** Makes {@code policy} the cluster's. */
    public static void set(Catalog catalog, RetentionPolicy policy) {
        catalog.putClusterSetting(SETTING, policy.encode());
    }

    public static Optional<RetentionPolicy> recorded(Catalog catalog) {
        return catalog.clusterSetting(SETTING).map(t -> RetentionPolicy.decode(t, "the catalog"));
    }

    /** The slot a scheduled run at {@code at} claims: its day (UTC), whichever runner and schedule it comes from. */
    public static Instant slot(Instant at) {
        return at.truncatedTo(ChronoUnit.DAYS);
    }
}
