package dev.pitr.functions;

import dev.pitr.aws.AwsClients;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.retention.RetentionPolicy;
import dev.pitr.storage.S3Storage;
import dev.pitr.storage.Storage;
import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * What a handler reads from its Lambda environment: {@code PITR_CATALOG_TABLE}, {@code PITR_CLUSTER_ID} (the
 * cluster's system identifier), {@code AWS_REGION} (set by Lambda), for retention the archive and the policy, and, for
 * tests and LocalStack only, {@code PITR_DYNAMODB_ENDPOINT} and {@code PITR_STORAGE_ENDPOINT}. Credentials come from the function's role through the SDK's default chain. The SDK makes
 * few attempts ({@code PITR_SDK_MAX_ATTEMPTS}, default 3): the state machine retries a transient failure itself, with
 * the Task's own backoff, instead of a function waiting out a long outage.
 */
public final class FunctionEnvironment {

    /** The catalog table's name. */
    public static final String CATALOG_TABLE = "PITR_CATALOG_TABLE";

    /** The cluster's system identifier, which keys its items in the table. */
    public static final String CLUSTER_ID = "PITR_CLUSTER_ID";

    /** The archive's bucket, for the retention function. */
    public static final String STORAGE_BUCKET = "PITR_STORAGE_BUCKET";

    /** The archive's key prefix in the bucket, as {@code storage.prefix}. */
    public static final String STORAGE_PREFIX = "PITR_STORAGE_PREFIX";

    private FunctionEnvironment() {}

    /**
     * The archive the environment names ({@link #STORAGE_BUCKET}, {@link #STORAGE_PREFIX}; for tests only {@code
     * PITR_STORAGE_ENDPOINT}, which also turns on path-style addressing).
     */
    public static Storage storage(Map<String, String> env) {
        String endpoint = env.get("PITR_STORAGE_ENDPOINT");
        AwsClients.Settings s = settings(env, endpoint);
        return new S3Storage(
                AwsClients.s3(s),
                new S3Storage.Options(
                        require(env, STORAGE_BUCKET),
                        env.getOrDefault(STORAGE_PREFIX, ""),
                        S3Storage.MIN_PART_BYTES,
                        null,
                        null));
    }

    /**
     * The retention policy from the same keys the configuration file has, in their environment form ({@code
     * PITR_RETENTION_DAILY}, {@code PITR_RETENTION_MIN_WINDOW}, {@code PITR_TIMEZONE}, ...).
     */
    public static RetentionPolicy retentionPolicy(Map<String, String> env) {
        return RetentionPolicy.from(
                path -> env.get("PITR_" + path.toUpperCase(Locale.ROOT).replace('.', '_')),
                "the function's environment");
    }

    /** The retention policy of the environment when it sets any {@code PITR_RETENTION_*} key; else empty. */
    public static java.util.Optional<RetentionPolicy> configuredRetentionPolicy(Map<String, String> env) {
        boolean any = env.keySet().stream().anyMatch(k -> k.startsWith("PITR_RETENTION_"));
        return any ? java.util.Optional.of(retentionPolicy(env)) : java.util.Optional.empty();
    }

    public static Catalog catalog(Map<String, String> env) {
        AwsClients.Settings s = settings(env, env.get("PITR_DYNAMODB_ENDPOINT"));
        return new DynamoDbCatalog(AwsClients.dynamoDb(s), require(env, CATALOG_TABLE), require(env, CLUSTER_ID));
    }

    private static AwsClients.Settings settings(Map<String, String> env, String endpoint) {
        AwsClients.Settings s = AwsClients.Settings.of(
                        env.getOrDefault("AWS_REGION", "us-east-1"),
                        endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint))
                .withMaxAttempts(Integer.parseInt(env.getOrDefault("PITR_SDK_MAX_ATTEMPTS", "3")))
                .withAttemptTimeout(java.time.Duration.ofSeconds(10));
        if (env.containsKey("AWS_ACCESS_KEY_ID") && env.containsKey("AWS_SECRET_ACCESS_KEY") && endpoint != null) {
            s = s.withCredentials(env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"));
        }
        return s;
    }

    private static String require(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new PitrException(
                    ErrorCode.CONFIG_MISSING,
                    name + " is not set in the function's environment",
                    "deploy the function with the infrastructure code, which sets it");
        }
        return v;
    }
}
