package dev.pitr.restore;

/**
 * The chain of {@link IncrementalRestoreIT} as PostgreSQL 17's own incremental backups ({@code summarize_wal = on},
 * {@code pg_basebackup --incremental}), rebuilt by {@code pg_combinebackup}.
 */
class NativeIncrementalRestoreIT extends IncrementalRestoreIT {

    @Override
    int major() {
        return 17;
    }

    @Override
    String kind() {
        return "native";
    }
}
