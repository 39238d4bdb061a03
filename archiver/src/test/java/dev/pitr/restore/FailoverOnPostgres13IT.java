package dev.pitr.restore;

/** The failover scenario, every target kind on either timeline, on PostgreSQL 13's server. */
class FailoverOnPostgres13IT extends FailoverIT {

    @Override
    int major() {
        return 13;
    }
}
