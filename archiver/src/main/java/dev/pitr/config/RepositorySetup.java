package dev.pitr.config;

import dev.pitr.aws.AwsCallLog;
import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.S3Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Makes sure the bucket and table (or the local directory and catalog file) exist: creating them where the operator
 * allows it ({@code --create}, for local and dev setups), otherwise only verifying that they exist and have the right
 * shape (production, where infrastructure code made them).
 */
public final class RepositorySetup {

    private RepositorySetup() {}

    /** Returns one line per thing checked or created; throws on the first that is missing and may not be created. */
    public static List<String> ensure(Config config, boolean create) {
        List<String> done = new ArrayList<>();
        switch (config.require(Key.STORAGE_TYPE)) {
            case "local" -> {
                try {
                    Files.createDirectories(config.requirePath(Key.STORAGE_PATH));
                } catch (IOException e) {
                    throw new PitrException(
                            ErrorCode.LOCAL_IO,
                            "cannot create " + config.requirePath(Key.STORAGE_PATH),
                            "check permissions",
                            e);
                }
                done.add("storage: directory " + config.requirePath(Key.STORAGE_PATH) + " ready");
            }
            case "s3" -> {
                try (S3Client s3 = Repository.s3Client(config)) {
                    S3Storage.Options o = Repository.s3Options(config);
                    S3Storage storage = new S3Storage(s3, o);
                    try {
                        storage.verifyBucket();
                        done.add("storage: bucket " + o.bucket() + " exists");
                    } catch (PitrException e) {
                        if (!create || e.code() != ErrorCode.REPOSITORY_NOT_FOUND) {
                            throw e;
                        }
                        // made by whoever sets the repository up, not a host's role: a stack makes it on AWS
                        try (S3Client admin =
                                AwsCallLog.actingAs(AwsCallLog.REPOSITORY_SETUP, () -> Repository.s3Client(config))) {
                            admin.createBucket(r -> r.bucket(o.bucket()));
                        } catch (SdkException ce) {
                            throw new PitrException(
                                    ErrorCode.ACCESS_DENIED,
                                    "cannot create bucket " + o.bucket() + ": " + ce.getMessage(),
                                    "create it with the infrastructure code, or use credentials that may create buckets",
                                    ce);
                        }
                        done.add("storage: bucket " + o.bucket() + " created");
                    }
                }
            }
            default -> throw new PitrException(ErrorCode.CONFIG_INVALID, "unknown storage.type", "use 'local' or 's3'");
        }
        switch (config.require(Key.CATALOG_TYPE)) {
            case "sqlite" -> {
                Repository.open(config, false).close();
                done.add("catalog: " + config.catalogPath() + " ready");
            }
            case "dynamodb" -> {
                String table = config.require(Key.CATALOG_TABLE);
                try (DynamoDbClient ddb = Repository.dynamoDbClient(config)) {
                    DynamoDbCatalog catalog = new DynamoDbCatalog(ddb, table, Repository.clusterId(config));
                    try {
                        catalog.verifyTable();
                        done.add("catalog: table " + table + " exists with the pitr key schema");
                    } catch (PitrException e) {
                        if (!create || e.code() != ErrorCode.REPOSITORY_NOT_FOUND) {
                            throw e;
                        }
                        try (DynamoDbClient admin = AwsCallLog.actingAs(
                                AwsCallLog.REPOSITORY_SETUP, () -> Repository.dynamoDbClient(config))) {
                            DynamoDbCatalog.createTable(admin, table);
                        }
                        done.add("catalog: table " + table + " created");
                    }
                }
            }
            default ->
                throw new PitrException(ErrorCode.CONFIG_INVALID, "unknown catalog.type", "use 'sqlite' or 'dynamodb'");
        }
        return done;
    }
}
