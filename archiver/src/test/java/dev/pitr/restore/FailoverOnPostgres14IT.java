package dev.pitr.restore;

/** The failover scenario, every target kind on either timeline, on PostgreSQL 14's server. */
class FailoverOnPostgres14IT extends FailoverIT {

    @Override
    int major() {
        return 14;
    }
}
