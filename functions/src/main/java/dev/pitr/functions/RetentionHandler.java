package dev.pitr.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pitr.aws.AwsCallLog;
import dev.pitr.catalog.Catalog;
import dev.pitr.retention.Retention;
import java.time.Clock;
import java.util.Map;

/**
 * The scheduled retention function: {@link Retention} over the environment's catalog, archive and policy, exactly as
 * {@code pitr retention apply} runs it. Input {@code {"dryRun": true}} only reports. Returns the report.
 */
public final class RetentionHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        Map<String, String> env = System.getenv();
        boolean dryRun = input != null && Boolean.TRUE.equals(input.get("dryRun"));
        return AwsCallLog.actingAs(AwsCallLog.RETENTION_FUNCTION, () -> {
            try (Catalog catalog = FunctionEnvironment.catalog(env)) {
                return new Retention(
                                catalog,
                                FunctionEnvironment.storage(env),
                                FunctionEnvironment.retentionPolicy(env),
                                Clock.systemUTC(),
                                line -> System.err.println("retention: " + line))
                        .apply(dryRun)
                        .toMap();
            }
        });
    }
}
