#!/usr/bin/env bash
# Runs once, when the primary's data directory is initialised: the role that capture and the standby connect with
# (REPLICATION is all that pitr's checks, capture, snapshots and status need; the rest lets an operator make restore
# points and switch WAL as this role), password authentication for it over the network, and the slot the standby
# streams from. pitr creates its own slot with 'pitr check --fix'.
set -euo pipefail
: "${PITR_REPLICATION_USER:?set PITR_REPLICATION_USER in env/postgres.env}"
: "${PITR_REPLICATION_PASSWORD:?set PITR_REPLICATION_PASSWORD in env/postgres.env}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v user="$PITR_REPLICATION_USER" -v password="$PITR_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"user" WITH LOGIN REPLICATION PASSWORD :'password';
GRANT pg_read_all_settings, pg_read_all_stats, pg_checkpoint TO :"user";
GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean), pg_switch_wal(),
  pg_create_restore_point(text) TO :"user";
SELECT pg_create_physical_replication_slot('standby_slot');
SQL
{
  echo "host replication ${PITR_REPLICATION_USER} all scram-sha-256"
  echo "host all ${PITR_REPLICATION_USER} all scram-sha-256"
} >> "$PGDATA/pg_hba.conf"
