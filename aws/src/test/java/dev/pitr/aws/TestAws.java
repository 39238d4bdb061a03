package dev.pitr.aws;

import java.net.URI;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 and DynamoDB for the tests that need them, wherever configuration says they are. The system property {@code
 * pitr.it.aws} chooses:
 *
 * <ul>
 *   <li>{@code embedded} (the default): S3Proxy and DynamoDB Local, started on 127.0.0.1 ({@link EmbeddedAws});
 *   <li>{@code localstack}: a LocalStack container started through Testcontainers ({@link LocalStackAws}); without a
 *       Docker engine the classes marked {@link NeedsAws} report skipped, never passed;
 *   <li>{@code endpoints}: services already running, such as the compose topology's LocalStack or AWS itself, at
 *       {@code pitr.it.s3.endpoint} and {@code pitr.it.dynamodb.endpoint} ({@link ConfiguredAws}).
 * </ul>
 *
 * <p>Contract: both endpoints answer processes on this host as soon as {@link #start()} returns; the region and the
 * key pair are valid for both; {@link #bucket()} and {@link #table()} are names no other instance uses, created by
 * {@link #createArchive()}; {@link #close()} stops or removes what this instance started or created.
 */
public interface TestAws extends AutoCloseable {

    /** The property that chooses the services. */
    String MODE = "pitr.it.aws";

    /** Starts (or connects to) the services the configuration names. */
    static TestAws start() {
        String mode = System.getProperty(MODE, "embedded");
        return switch (mode) {
            case "embedded" -> EmbeddedAws.start();
            case "localstack" -> LocalStackAws.start();
            case "endpoints" -> ConfiguredAws.fromProperties();
            default ->
                throw new IllegalArgumentException(MODE + " is '" + mode + "'; use embedded, localstack or endpoints");
        };
    }

    /** Why {@link #start()} cannot start the configured services here, or null when it can. */
    static String unavailable() {
        return System.getProperty(MODE, "embedded").equals("localstack") ? LocalStackAws.unavailable() : null;
    }

    URI s3Endpoint();

    URI dynamoDbEndpoint();

    String region();

    String accessKey();

    String secretKey();

    /** The archive bucket's name. */
    String bucket();

    /** The catalog table's name. */
    String table();

    /** Creates {@link #bucket()} and the catalog table {@link #table()} with pitr's schema. */
    void createArchive();

    /** Settings for clients of {@code endpoint}, which is one of these services or a proxy in front of one. */
    default AwsClients.Settings settings(URI endpoint) {
        return AwsClients.Settings.of(region(), endpoint).withCredentials(accessKey(), secretKey());
    }

    default S3Client s3() {
        return AwsClients.s3(settings(s3Endpoint()));
    }

    default DynamoDbClient dynamoDb() {
        return AwsClients.dynamoDb(settings(dynamoDbEndpoint()));
    }

    @Override
    void close();
}
