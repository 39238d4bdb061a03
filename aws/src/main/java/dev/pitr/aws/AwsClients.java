package dev.pitr.aws;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * Builds the SDK clients from settings, so tests hand in their own endpoints. Every client retries throttling (503
 * SlowDown, ProvisionedThroughputExceeded), 5xx, timeouts and connection resets with exponential backoff and full
 * jitter, and bounds each attempt so a stalled connection is abandoned and retried rather than waited on. With a call
 * log set ({@link AwsCallLog}), each client logs its calls as made by the principal acting when it was built.
 */
public final class AwsClients {

    /**
     * Where and how to reach one service. {@code endpoint} null means AWS itself; the key pair null means the default
     * credentials chain (environment, profile, instance or task role).
     */
    public record Settings(
            String region,
            URI endpoint,
            boolean pathStyle,
            String accessKeyId,
            String secretAccessKey,
            Duration attemptTimeout,
            int maxAttempts) {

        public static Settings of(String region, URI endpoint) {
            return new Settings(region, endpoint, endpoint != null, null, null, Duration.ofSeconds(60), 10);
        }

        public Settings withCredentials(String id, String secret) {
            return new Settings(region, endpoint, pathStyle, id, secret, attemptTimeout, maxAttempts);
        }

        public Settings withAttemptTimeout(Duration d) {
            return new Settings(region, endpoint, pathStyle, accessKeyId, secretAccessKey, d, maxAttempts);
        }

        public Settings withMaxAttempts(int n) {
            return new Settings(region, endpoint, pathStyle, accessKeyId, secretAccessKey, attemptTimeout, n);
        }
    }

    private AwsClients() {}

    public static S3Client s3(Settings s) {
        return configure(
                S3Client.builder()
                        .forcePathStyle(s.pathStyle())
                        // Content-MD5 is sent by S3Storage itself; the SDK's trailing checksums are not understood by
                        // every S3 API
                        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED),
                s);
    }

    public static DynamoDbClient dynamoDb(Settings s) {
        return configure(DynamoDbClient.builder(), s);
    }

    public static KmsClient kms(Settings s) {
        return configure(KmsClient.builder(), s);
    }

    public static SfnClient sfn(Settings s) {
        return configure(SfnClient.builder(), s);
    }

    /** What every client shares: the HTTP client, region, credentials, retries, timeouts and endpoint. */
    private static <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C configure(B b, Settings s) {
        b.httpClientBuilder(http(s))
                .region(Region.of(s.region()))
                .credentialsProvider(credentials(s))
                .overrideConfiguration(override(s));
        if (s.endpoint() != null) {
            b.endpointOverride(s.endpoint());
        }
        return b.build();
    }

    private static ApacheHttpClient.Builder http(Settings s) {
        return ApacheHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(5))
                .socketTimeout(s.attemptTimeout())
                .maxConnections(32);
    }

    private static ClientOverrideConfiguration override(Settings s) {
        ClientOverrideConfiguration.Builder b = ClientOverrideConfiguration.builder()
                .retryStrategy(retryStrategy(s.maxAttempts()))
                .apiCallAttemptTimeout(s.attemptTimeout());
        // the principal is the one acting when the client is built, so calls from any thread are told apart
        AwsCallLog.destination()
                .ifPresent(file -> AwsCallLog.principal()
                        .ifPresent(p -> b.addExecutionInterceptor(new AwsCallLog(file))
                                .putExecutionAttribute(AwsCallLog.PRINCIPAL, p)));
        return b.build();
    }

    /** AWS's retryable conditions with full-jitter exponential backoff, and no retry quota that could give up early. */
    static RetryStrategy retryStrategy(int maxAttempts) {
        BackoffStrategy backoff = BackoffStrategy.exponentialDelay(Duration.ofMillis(100), Duration.ofSeconds(20));
        return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(maxAttempts)
                .backoffStrategy(backoff)
                .throttlingBackoffStrategy(
                        BackoffStrategy.exponentialDelay(Duration.ofMillis(500), Duration.ofSeconds(20)))
                .circuitBreakerEnabled(false)
                .build();
    }

    private static AwsCredentialsProvider credentials(Settings s) {
        if (s.accessKeyId() != null) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(s.accessKeyId(), s.secretAccessKey()));
        }
        return DefaultCredentialsProvider.builder().build();
    }
}
