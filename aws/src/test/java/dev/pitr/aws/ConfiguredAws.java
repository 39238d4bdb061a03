package dev.pitr.aws;

import dev.pitr.catalog.DynamoDbCatalog;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Services that are already running, named by system properties: {@code pitr.it.s3.endpoint}, {@code
 * pitr.it.dynamodb.endpoint}, {@code pitr.it.region} (default us-east-1), and the key pair from the environment,
 * {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY}: never from a system property, since a secret on a
 * command line is a leak (SecretsIT finds it there).
 * Each instance creates a bucket and a table of its own, {@code pitr-it-} plus a random suffix, and removes both,
 * with every object version in the bucket, when closed; a shared LocalStack or an AWS account sees nothing left
 * behind.
 */
public final class ConfiguredAws implements TestAws {

    private final URI s3;
    private final URI dynamo;
    private final String region;
    private final String accessKey;
    private final String secretKey;
    private final String name = "pitr-it-" + UUID.randomUUID().toString().substring(0, 13);
    private final Runnable stop;
    private boolean created;

    /** Services at these endpoints; {@code stop} runs last on {@link #close()}, to stop what started them. */
    ConfiguredAws(URI s3, URI dynamo, String region, String accessKey, String secretKey, Runnable stop) {
        this.stop = stop;
        this.s3 = s3;
        this.dynamo = dynamo;
        this.region = region;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    static ConfiguredAws fromProperties() {
        return new ConfiguredAws(
                URI.create(required("pitr.it.s3.endpoint")),
                URI.create(required("pitr.it.dynamodb.endpoint")),
                System.getProperty("pitr.it.region", "us-east-1"),
                System.getenv("AWS_ACCESS_KEY_ID"),
                System.getenv("AWS_SECRET_ACCESS_KEY"),
                () -> {});
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException(MODE + "=endpoints needs -D" + property + "=URL");
        }
        return v;
    }

    @Override
    public URI s3Endpoint() {
        return s3;
    }

    @Override
    public URI dynamoDbEndpoint() {
        return dynamo;
    }

    @Override
    public String region() {
        return region;
    }

    @Override
    public String accessKey() {
        return accessKey;
    }

    @Override
    public String secretKey() {
        return secretKey;
    }

    @Override
    public String bucket() {
        return name;
    }

    @Override
    public String table() {
        return name;
    }

    @Override
    public void createArchive() {
        try (S3Client client = s3()) {
            client.createBucket(r -> r.bucket(name));
        }
        created = true;
        try (var ddb = dynamoDb()) {
            DynamoDbCatalog.createTable(ddb, name);
        }
    }

    @Override
    public void close() {
        try {
            if (created) {
                removeArchive();
            }
        } finally {
            stop.run();
        }
    }

    private void removeArchive() {
        try (S3Client client = s3()) {
            try {
                deleteVersions(client);
            } catch (S3Exception e) {
                if (e.statusCode() != 501) {
                    throw e;
                }
                // a server without versioning (S3Proxy): its objects are all there is
                for (var page : client.listObjectsV2Paginator(r -> r.bucket(name))) {
                    var ids = page.contents().stream()
                            .map(o -> ObjectIdentifier.builder().key(o.key()).build())
                            .toList();
                    if (!ids.isEmpty()) {
                        client.deleteObjects(r -> r.bucket(name).delete(d -> d.objects(ids)));
                    }
                }
            }
            client.deleteBucket(r -> r.bucket(name));
        } finally {
            try (var ddb = dynamoDb()) {
                ddb.deleteTable(r -> r.tableName(name));
            } catch (ResourceNotFoundException e) {
                // the test removed it itself
            }
        }
    }

    /** Deletes every version and delete marker in the bucket, as a versioned bucket must be emptied. */
    private void deleteVersions(S3Client client) {
        for (var page : client.listObjectVersionsPaginator(r -> r.bucket(name))) {
            List<ObjectIdentifier> ids = new ArrayList<>();
            for (ObjectVersion v : page.versions()) {
                ids.add(ObjectIdentifier.builder()
                        .key(v.key())
                        .versionId(v.versionId())
                        .build());
            }
            page.deleteMarkers()
                    .forEach(m -> ids.add(ObjectIdentifier.builder()
                            .key(m.key())
                            .versionId(m.versionId())
                            .build()));
            if (!ids.isEmpty()) {
                client.deleteObjects(r -> r.bucket(name).delete(d -> d.objects(ids)));
            }
        }
    }
}
