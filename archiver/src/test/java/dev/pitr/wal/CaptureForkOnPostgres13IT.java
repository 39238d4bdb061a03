package dev.pitr.wal;

/**
 * The fork scenario on PostgreSQL 13, whose pg_receivewal cannot ask the slot where it stands: capture names the
 * restart point's segment itself, on the timeline that point is on, after the dead branch is set aside.
 */
class CaptureForkOnPostgres13IT extends CaptureForkIT {

    @Override
    int major() {
        return 13;
    }
}
