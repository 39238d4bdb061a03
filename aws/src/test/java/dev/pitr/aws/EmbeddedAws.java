package dev.pitr.aws;

import dev.pitr.catalog.DynamoDbCatalog;
import java.net.URI;

/** S3Proxy and DynamoDB Local on 127.0.0.1, started for one test class: the default {@link TestAws}. */
public final class EmbeddedAws implements TestAws {

    private final S3ProxyServer s3;
    private final DynamoDbLocalServer dynamo;

    private EmbeddedAws(S3ProxyServer s3, DynamoDbLocalServer dynamo) {
        this.s3 = s3;
        this.dynamo = dynamo;
    }

    public static EmbeddedAws start() {
        S3ProxyServer s3 = S3ProxyServer.start();
        try {
            return new EmbeddedAws(s3, DynamoDbLocalServer.start());
        } catch (RuntimeException e) {
            s3.close();
            throw e;
        }
    }

    @Override
    public URI s3Endpoint() {
        return s3.endpoint();
    }

    @Override
    public URI dynamoDbEndpoint() {
        return dynamo.endpoint();
    }

    @Override
    public String region() {
        return S3ProxyServer.REGION;
    }

    @Override
    public String accessKey() {
        return S3ProxyServer.ACCESS_KEY;
    }

    @Override
    public String secretKey() {
        return S3ProxyServer.SECRET_KEY;
    }

    @Override
    public String bucket() {
        return "pitr-archive";
    }

    @Override
    public String table() {
        return "pitr-catalog";
    }

    @Override
    public void createArchive() {
        s3.createBucket(bucket());
        try (var ddb = dynamoDb()) {
            DynamoDbCatalog.createTable(ddb, table());
        }
    }

    @Override
    public void close() {
        try {
            s3.close();
        } finally {
            dynamo.close();
        }
    }
}
