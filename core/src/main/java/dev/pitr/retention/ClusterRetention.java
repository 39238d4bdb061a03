package dev.pitr.retention;

import dev.pitr.catalog.Catalog;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * One retention policy for the cluster, kept in its catalog, so that {@code pitr run} on the archiving host and the
 * retention function in AWS apply the same one. A runner whose own configuration sets no retention keys applies the
 * recorded policy (or the defaults, while none is recorded); one that sets them records them when none is recorded,
 * applies them when they are the recorded ones, and is refused when they disagree. {@code pitr retention set} makes a
 * host's policy the cluster's. Scheduled runs claim the day ({@link #slot}), so one of the runners runs each day.
 */
public final class ClusterRetention {

    /** The catalog's name for the setting. */
    public static final String SETTING = "retention_policy";

    /** The job scheduled runs claim, once a day. */
    public static final String JOB = "retention";

    private ClusterRetention() {}

    /**
     * The policy to apply, with {@code configured} the runner's own (empty when its configuration sets none) read from
     * {@code source}.
     */
    public static RetentionPolicy resolve(Catalog catalog, Optional<RetentionPolicy> configured, String source) {
        return resolve(catalog, configured, source, true);
    }

    /** As {@link #resolve(Catalog, Optional, String)}; with {@code record} false (a dry run) nothing is recorded. */
    public static RetentionPolicy resolve(
            Catalog catalog, Optional<RetentionPolicy> configured, String source, boolean record) {
        Optional<RetentionPolicy> recorded = recorded(catalog);
        if (configured.isEmpty()) {
            return recorded.orElse(RetentionPolicy.DEFAULT);
        }
        if (recorded.isEmpty()) {
            if (record) {
                catalog.putClusterSetting(SETTING, configured.get().encode());
            }
            return configured.get();
        }
        if (!recorded.get().equals(configured.get())) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "the retention policy of " + source + " ("
                            + configured.get().describe() + ", in "
                            + configured.get().zone() + ") is not the cluster's, recorded in the catalog ("
                            + recorded.get().describe() + ", in "
                            + recorded.get().zone() + ")",
                    "make the retention.* keys of " + source + " match the cluster's, or remove them to apply the"
                            + " cluster's; 'pitr retention set' makes this host's policy the cluster's");
        }
        return configured.get();
    }

    /** What status shows: the recorded policy, else the configured one, else the defaults; never writes. */
    public static RetentionPolicy effective(Catalog catalog, Optional<RetentionPolicy> configured) {
        return recorded(catalog).or(() -> configured).orElse(RetentionPolicy.DEFAULT);
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
