package dev.pitr.restore;

/** The chain of {@link IncrementalRestoreIT} on PostgreSQL 17's server and client programs. */
class IncrementalRestoreOnPostgres17IT extends IncrementalRestoreIT {

    @Override
    int major() {
        return 17;
    }
}
