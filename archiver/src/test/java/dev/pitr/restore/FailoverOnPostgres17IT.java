package dev.pitr.restore;

/**
 * The failover scenario, every target kind on either timeline, on PostgreSQL 17's server with 17's client programs
 * (Debian 13's, which scripts/install-postgres-clients installs): its backup manifests are version 2.
 */
class FailoverOnPostgres17IT extends FailoverIT {

    @Override
    int major() {
        return 17;
    }
}
