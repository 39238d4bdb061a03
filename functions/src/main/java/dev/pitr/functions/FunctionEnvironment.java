package dev.pitr.functions;

import dev.pitr.aws.AwsClients;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.net.URI;
import java.util.Map;

/**
 * What a handler reads from its Lambda environment: {@code PITR_CATALOG_TABLE}, {@code PITR_CLUSTER_ID} (the
 * cluster's system identifier), {@code AWS_REGION} (set by Lambda) and, for tests and LocalStack only, {@code
 * PITR_DYNAMODB_ENDPOINT}. Credentials come from the function's role through the SDK's default chain. The SDK makes
 * few attempts ({@code PITR_SDK_MAX_ATTEMPTS}, default 3): the state machine retries a transient failure itself, with
 * the Task's own backoff, instead of a function waiting out a long outage.
 */
public final class FunctionEnvironment {

  /** The catalog table's name. */
  public static final String CATALOG_TABLE = "PITR_CATALOG_TABLE";

  /** The cluster's system identifier, which keys its items in the table. */
  public static final String CLUSTER_ID = "PITR_CLUSTER_ID";

  private FunctionEnvironment() {}

  public static Catalog catalog(Map<String, String> env) {
    String endpoint = env.get("PITR_DYNAMODB_ENDPOINT");
    AwsClients.Settings s = AwsClients.Settings.of(env.getOrDefault("AWS_REGION", "us-east-1"),
        endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint))
        .withMaxAttempts(Integer.parseInt(env.getOrDefault("PITR_SDK_MAX_ATTEMPTS", "3")))
        .withAttemptTimeout(java.time.Duration.ofSeconds(10));
    if (env.containsKey("AWS_ACCESS_KEY_ID") && env.containsKey("AWS_SECRET_ACCESS_KEY") && endpoint != null) {
      s = s.withCredentials(env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"));
    }
    return new DynamoDbCatalog(AwsClients.dynamoDb(s), require(env, CATALOG_TABLE), require(env, CLUSTER_ID));
  }

  private static String require(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new PitrException(ErrorCode.CONFIG_MISSING, name + " is not set in the function's environment",
          "deploy the function with the infrastructure code, which sets it");
    }
    return v;
  }
}
