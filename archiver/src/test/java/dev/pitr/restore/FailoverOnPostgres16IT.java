package dev.pitr.restore;

/**
 * The failover scenario, every target kind on either timeline, on PostgreSQL 16's server with 17's client programs
 * (a newer client serves an older server, as an operator with both installed would run them).
 */
class FailoverOnPostgres16IT extends FailoverIT {

    @Override
    int major() {
        return 16;
    }
}
