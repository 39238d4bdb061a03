package dev.pitr.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pitr.aws.AwsCallLog;
import dev.pitr.catalog.Catalog;
import dev.pitr.retention.ClusterRetention;
import dev.pitr.retention.Retention;
import dev.pitr.retention.RetentionPolicy;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The scheduled retention function: {@link Retention} over the environment's catalog, archive and policy, exactly as
 * {@code pitr retention apply} runs it. Input {@code {"dryRun": true}} only reports. Returns the report.
 */
public final class RetentionHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        Map<String, String> env = System.getenv();
        boolean dryRun = input != null && Boolean.TRUE.equals(input.get("dryRun"));
        // the daily schedule's runs claim the day, shared with 'pitr run'; a run invoked by hand always runs
        boolean scheduled = input != null && Boolean.TRUE.equals(input.get("scheduled"));
        return AwsCallLog.actingAs(AwsCallLog.RETENTION_FUNCTION, () -> {
            try (Catalog catalog = FunctionEnvironment.catalog(env)) {
                // the policy first: a refused one fails this run and leaves the day to a runner that may
                Optional<RetentionPolicy> policy = ClusterRetention.resolveOrWait(
                        catalog,
                        FunctionEnvironment.configuredRetentionPolicy(env),
                        "the retention function's environment",
                        !dryRun);
                if (policy.isEmpty()) {
                    return Map.of(
                            "skipped",
                            "no retention policy: the stack sets none (pitr:retention.*) and none is recorded for the"
                                    + " cluster; 'pitr retention set' on a host, or 'pitr run' there, records one");
                }
                Instant now = Clock.systemUTC().instant();
                String owner = "function:" + env.getOrDefault("AWS_LAMBDA_LOG_STREAM_NAME", "local");
                if (scheduled
                        && !dryRun
                        && !catalog.claimRun(ClusterRetention.JOB, ClusterRetention.slot(now), owner)) {
                    return Map.of("skipped", "retention ran today already (" + ClusterRetention.slot(now) + ")");
                }
                return new Retention(
                                catalog,
                                FunctionEnvironment.storage(env),
                                policy.get(),
                                Clock.systemUTC(),
                                line -> System.err.println("retention: " + line))
                        .apply(dryRun)
                        .toMap();
            }
        });
    }
}
