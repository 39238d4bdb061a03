package dev.pitr.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Every configuration key, with its default and whether it is secret. docs/configuration.md documents the same list; each key is
 * also read from the environment as {@code PITR_} plus the key in upper case with dots as underscores.
 */
public enum Key {
    TIMEZONE("timezone", "UTC", false),
    PRIMARY_HOST("primary.host", null, false),
    PRIMARY_PORT("primary.port", "5432", false),
    PRIMARY_USER("primary.user", "postgres", false),
    PRIMARY_PASSWORD("primary.password", null, true),
    PRIMARY_DBNAME("primary.dbname", "postgres", false),
    PRIMARY_SSLMODE("primary.sslmode", "prefer", false),
    PRIMARY_SSLROOTCERT("primary.sslrootcert", null, false),
    STANDBY_HOST("standby.host", null, false),
    STANDBY_PORT("standby.port", "5432", false),
    POSTGRES_BIN_DIR("postgres.bin_dir", "/usr/lib/postgresql/{major}/bin", false),
    POSTGRES_OS_USER("postgres.os_user", "postgres", false),
    WAL_SPOOL_DIR("wal.spool_dir", null, false),
    WAL_SLOT("wal.slot", "pitr_slot", false),
    WAL_POLL_MILLIS("wal.poll_millis", "200", false),
    WAL_SHIP_PARALLELISM("wal.ship_parallelism", "4", false),
    WAL_SHIP_PARTIAL("wal.ship_partial", "true", false),
    WAL_PARTIAL_INTERVAL_MILLIS("wal.partial_interval_millis", "500", false),
    COMPRESSION_LEVEL("compression.level", "3", false),
    STORAGE_TYPE("storage.type", "local", false),
    STORAGE_PATH("storage.path", null, false),
    STORAGE_BUCKET("storage.bucket", null, false),
    STORAGE_PREFIX("storage.prefix", "", false),
    STORAGE_REGION("storage.region", "us-east-1", false),
    STORAGE_ENDPOINT("storage.endpoint", null, false),
    STORAGE_PATH_STYLE("storage.path_style", null, false),
    STORAGE_CLASS("storage.storage_class", null, false),
    STORAGE_SSE_KMS_KEY_ID("storage.sse_kms_key_id", null, false),
    STORAGE_PART_SIZE_MB("storage.part_size_mb", "16", false),
    STORAGE_REQUEST_TIMEOUT_SECONDS("storage.request_timeout_seconds", "60", false),
    STORAGE_MAX_ATTEMPTS("storage.max_attempts", "10", false),
    CATALOG_TYPE("catalog.type", "sqlite", false),
    CATALOG_PATH("catalog.path", null, false),
    CATALOG_TABLE("catalog.table", null, false),
    CATALOG_REGION("catalog.region", "us-east-1", false),
    CATALOG_ENDPOINT("catalog.endpoint", null, false),
    CATALOG_CLUSTER("catalog.cluster", null, false),
    CATALOG_LEASE_SECONDS("catalog.lease_seconds", "60", false),
    ENCRYPTION_MODE("encryption.mode", "none", false),
    ENCRYPTION_KEY_FILE("encryption.key_file", null, false),
    ENCRYPTION_PASSPHRASE("encryption.passphrase", null, true),
    ENCRYPTION_PASSPHRASE_FILE("encryption.passphrase_file", null, false),
    ENCRYPTION_PUBLIC_KEY("encryption.public_key", null, false),
    ENCRYPTION_SECRET_KEY("encryption.secret_key", null, false),
    ENCRYPTION_SECRET_KEY_PASSPHRASE("encryption.secret_key_passphrase", null, true),
    ENCRYPTION_KMS_KEY_ID("encryption.kms_key_id", null, false),
    ENCRYPTION_KMS_REGION("encryption.kms_region", "us-east-1", false),
    ENCRYPTION_KMS_ENDPOINT("encryption.kms_endpoint", null, false),
    ENCRYPTION_RETIRED_KEY_FILES("encryption.retired_key_files", null, false),
    ENCRYPTION_RETIRED_PASSPHRASE_FILES("encryption.retired_passphrase_files", null, false),
    ENCRYPTION_RETIRED_SECRET_KEYS("encryption.retired_secret_keys", null, false),
    ENCRYPTION_RETIRED_KMS_KEY_IDS("encryption.retired_kms_key_ids", null, false),
    ENCRYPTION_ACCEPT_PLAIN("encryption.accept_plain", "false", false),
    AWS_ACCESS_KEY_ID("aws.access_key_id", null, false),
    AWS_SECRET_ACCESS_KEY("aws.secret_access_key", null, true),
    SNAPSHOT_WAL_TIMEOUT_SECONDS("snapshot.wal_timeout_seconds", "300", false),
    SNAPSHOT_SCHEDULE("snapshot.schedule", "0 */6 * * *", false),
    SNAPSHOT_COMPRESSION("snapshot.compression", "auto", false),
    SNAPSHOT_COMPRESSION_WORKERS("snapshot.compression_workers", null, false),
    SNAPSHOT_FULL_EVERY("snapshot.full_every", "0", false),
    SNAPSHOT_MAX_CHAIN("snapshot.max_chain", "30", false),
    SNAPSHOT_INCREMENTAL_KIND("snapshot.incremental_kind", "auto", false),
    SNAPSHOT_OBJECT_SIZE_MB("snapshot.object_size_mb", "64", false),
    SNAPSHOT_MAX_RECOVERY_TIME("snapshot.max_recovery_time", null, false),
    VERIFY_MAX_MB_PER_SECOND("verify.max_mb_per_second", "0", false),
    DRILL_SCHEDULE("drill.schedule", null, false),
    DRILL_MAX_AGE("drill.max_age", "8d", false),
    DRILL_DIRECTORY("drill.directory", null, false),
    DRILL_PORT("drill.port", "0", false),
    DRILL_USER("drill.user", "postgres", false),
    DRILL_SHARED_BUFFERS("drill.shared_buffers", "128MB", false),
    DRILL_AMCHECK("drill.amcheck", "true", false),
    DRILL_CHECK_TIMEOUT("drill.check_timeout", "15m", false),
    DRILL_CHECKS("drill.checks", null, false),
    RESTORE_PORT("restore.port", "5433", false),
    RESTORE_ACTION("restore.action", "promote", false),
    RESTORE_PITR_COMMAND("restore.pitr_command", null, false),
    RESTORE_PREFETCH_PARALLELISM("restore.prefetch_parallelism", "4", false),
    RESTORE_PREFETCH_MB("restore.prefetch_mb", "256", false),
    RESTORE_PG_VERIFYBACKUP("restore.pg_verifybackup", "false", false),
    STEPFUNCTIONS_REGION("stepfunctions.region", "us-east-1", false),
    STEPFUNCTIONS_ENDPOINT("stepfunctions.endpoint", null, false),
    STEPFUNCTIONS_ACTIVITY_ARN("stepfunctions.activity_arn", null, false),
    STEPFUNCTIONS_STATE_MACHINE_ARN("stepfunctions.state_machine_arn", null, false),
    AGENT_RESTORE_ROOT("agent.restore_root", null, false),
    AGENT_ALLOW_FORCE("agent.allow_force", "false", false),
    AGENT_DRILLS("agent.drills", "false", false),
    AGENT_STALL_SECONDS("agent.stall_seconds", "300", false),
    // the retention defaults live in RetentionPolicy, which the retention Lambda shares
    RETENTION_DAILY("retention.daily", null, false),
    RETENTION_WEEKLY("retention.weekly", null, false),
    RETENTION_MONTHLY("retention.monthly", null, false),
    RETENTION_MIN_WINDOW("retention.min_window", null, false),
    RETENTION_GRACE("retention.grace", null, false),
    RETENTION_SCHEDULE("retention.schedule", "17 3 * * *", false),
    STATUS_RPO_WARNING("status.rpo_warning", "5m", false),
    STATUS_SLOT_RETAINED_WARNING_MB("status.slot_retained_warning_mb", "1024", false),
    STATUS_SPOOL_FREE_WARNING_MB("status.spool_free_warning_mb", "64", false),
    DASHBOARD_LISTEN("dashboard.listen", "127.0.0.1:8432", false),
    DASHBOARD_TOKEN("dashboard.token", null, true),
    DASHBOARD_USER("dashboard.user", null, false),
    DASHBOARD_PASSWORD("dashboard.password", null, true);

    private final String path;
    private final String defaultValue;
    private final boolean secret;

    Key(String path, String defaultValue, boolean secret) {
        this.path = path;
        this.defaultValue = defaultValue;
        this.secret = secret;
    }

    public String path() {
        return path;
    }

    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    public boolean secret() {
        return secret;
    }

    public String envName() {
        return "PITR_" + path.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /**
     * True for the one key whose value is a YAML sequence rather than a single value ({@code drill.checks}): it is kept
     * as the sequence's JSON text, and the environment gives it as JSON.
     */
    public boolean structured() {
        return this == DRILL_CHECKS;
    }

    public static Optional<Key> byPath(String path) {
        return Arrays.stream(values()).filter(k -> k.path.equals(path)).findFirst();
    }
}
