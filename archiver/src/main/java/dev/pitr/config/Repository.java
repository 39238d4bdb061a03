package dev.pitr.config;

import dev.pitr.aws.AwsClients;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Zstd;
import dev.pitr.crypto.Keyring;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.LocalStorage;
import dev.pitr.storage.S3Storage;
import dev.pitr.storage.Storage;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/** The storage, catalog and codec the configuration names, opened together and closed together. */
public final class Repository implements AutoCloseable {

    private final Storage storage;
    private final Catalog catalog;
    private final ObjectCodec codec;
    private final List<AutoCloseable> clients;

    /** An unencrypted repository. */
    public Repository(Storage storage, Catalog catalog, Zstd zstd) {
        this(storage, catalog, new ObjectCodec(zstd, Keyring.none()), List.of());
    }

    public Repository(Storage storage, Catalog catalog, ObjectCodec codec) {
        this(storage, catalog, codec, List.of());
    }

    private Repository(Storage storage, Catalog catalog, ObjectCodec codec, List<AutoCloseable> clients) {
        this.storage = storage;
        this.catalog = catalog;
        this.codec = codec;
        this.clients = clients;
    }

    /** Opens the repository; {@code readOnly} is for the restore_command, which only reads. */
    public static Repository open(Config config, boolean readOnly) {
        int level = config.requireInt(Key.COMPRESSION_LEVEL);
        if (level < 1 || level > 19) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "compression.level must be 1..19, got " + level,
                    "use 1 (fast) to 19 (small); 3 is the default");
        }
        List<AutoCloseable> clients = new ArrayList<>();
        Storage storage = openStorage(config, clients);
        Keyring keyring = KeyringConfig.load(config, storage, !readOnly, clients);
        Catalog catalog = openCatalog(config, readOnly, clients);
        ObjectCodec codec = new ObjectCodec(new Zstd(level), keyring)
                .acceptingPlain(config.requireBoolean(Key.ENCRYPTION_ACCEPT_PLAIN));
        return new Repository(storage, catalog, codec, clients);
    }

    private static Storage openStorage(Config config, List<AutoCloseable> clients) {
        String type = config.require(Key.STORAGE_TYPE);
        return switch (type) {
            case "local" -> new LocalStorage(config.requirePath(Key.STORAGE_PATH));
            case "s3" -> {
                S3Client s3 = s3Client(config);
                clients.add(s3);
                yield new S3Storage(s3, s3Options(config));
            }
            default ->
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "storage.type '" + type + "' is not supported",
                        "set storage.type to 'local' or 's3'");
        };
    }

    private static Catalog openCatalog(Config config, boolean readOnly, List<AutoCloseable> clients) {
        String type = config.require(Key.CATALOG_TYPE);
        return switch (type) {
            case "sqlite" ->
                readOnly ? SqliteCatalog.openReadOnly(config.catalogPath()) : SqliteCatalog.open(config.catalogPath());
            case "dynamodb" -> {
                DynamoDbClient ddb = dynamoDbClient(config);
                clients.add(ddb);
                yield new DynamoDbCatalog(ddb, config.require(Key.CATALOG_TABLE), clusterId(config));
            }
            default ->
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "catalog.type '" + type + "' is not supported",
                        "set catalog.type to 'sqlite' or 'dynamodb'");
        };
    }

    public static S3Client s3Client(Config config) {
        URI endpoint = endpoint(config, Key.STORAGE_ENDPOINT);
        boolean pathStyle =
                config.get(Key.STORAGE_PATH_STYLE).map(Boolean::parseBoolean).orElse(endpoint != null);
        AwsClients.Settings s = new AwsClients.Settings(
                config.require(Key.STORAGE_REGION),
                endpoint,
                pathStyle,
                config.get(Key.AWS_ACCESS_KEY_ID).orElse(null),
                config.get(Key.AWS_SECRET_ACCESS_KEY).orElse(null),
                Duration.ofSeconds(config.requireInt(Key.STORAGE_REQUEST_TIMEOUT_SECONDS)),
                config.requireInt(Key.STORAGE_MAX_ATTEMPTS));
        return AwsClients.s3(s);
    }

    public static S3Storage.Options s3Options(Config config) {
        int partMb = config.requireInt(Key.STORAGE_PART_SIZE_MB);
        if (partMb < 5 || partMb > 4096) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "storage.part_size_mb must be 5..4096, got " + partMb,
                    "16 is the default");
        }
        return new S3Storage.Options(
                config.require(Key.STORAGE_BUCKET),
                config.require(Key.STORAGE_PREFIX),
                partMb << 20,
                config.get(Key.STORAGE_CLASS).orElse(null),
                config.get(Key.STORAGE_SSE_KMS_KEY_ID).orElse(null));
    }

    public static DynamoDbClient dynamoDbClient(Config config) {
        AwsClients.Settings s = AwsClients.Settings.of(
                        config.require(Key.CATALOG_REGION), endpoint(config, Key.CATALOG_ENDPOINT))
                .withCredentials(
                        config.get(Key.AWS_ACCESS_KEY_ID).orElse(null),
                        config.get(Key.AWS_SECRET_ACCESS_KEY).orElse(null))
                .withAttemptTimeout(Duration.ofSeconds(config.requireInt(Key.STORAGE_REQUEST_TIMEOUT_SECONDS)))
                .withMaxAttempts(config.requireInt(Key.STORAGE_MAX_ATTEMPTS));
        return AwsClients.dynamoDb(s);
    }

    /** The cluster's system identifier: the DynamoDB partition, so one table serves many clusters. */
    public static String clusterId(Config config) {
        String id = config.require(Key.CATALOG_CLUSTER);
        if (!id.matches("[0-9]{1,20}")) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "catalog.cluster must be the cluster's system identifier (digits), got '" + id + "'",
                    "run 'pitr init', or SELECT system_identifier FROM pg_control_system() on the primary");
        }
        return id;
    }

    private static URI endpoint(Config config, Key key) {
        String v = config.get(key).orElse(null);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            URI u = new URI(v);
            if (u.getScheme() == null || u.getHost() == null) {
                throw new URISyntaxException(v, "needs a scheme and a host");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    key.path() + " '" + v + "' is not a URL: " + e.getMessage(),
                    "write it as http://host:port or https://host");
        }
    }

    public Storage storage() {
        return storage;
    }

    public Catalog catalog() {
        return catalog;
    }

    /** How bodies are compressed, encrypted, stored and read back. */
    public ObjectCodec codec() {
        return codec;
    }

    @Override
    public void close() {
        catalog.close();
        for (AutoCloseable c : clients) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing an SDK client releases connections only
            }
        }
    }
}
