#!/usr/bin/env bash
# The standby's entrypoint: on its first start, clone the primary with pg_basebackup -R on the slot made at the
# primary's init, then hand over to the image's own entrypoint, which starts PostgreSQL as a hot standby.
set -euo pipefail
: "${PRIMARY_HOST:?set PRIMARY_HOST}"
: "${PITR_REPLICATION_USER:?set PITR_REPLICATION_USER}"
: "${PITR_REPLICATION_PASSWORD:?set PITR_REPLICATION_PASSWORD}"
data="${PGDATA:-/var/lib/postgresql/data}"
if [ ! -s "$data/PG_VERSION" ]; then
  until pg_isready -q -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}"; do
    echo "standby: waiting for $PRIMARY_HOST"
    sleep 1
  done
  mkdir -p "$data"
  chmod 0700 "$data"
  chown postgres: "$data"
  # the password reaches pg_basebackup through the environment, never its command line
  PGPASSWORD="$PITR_REPLICATION_PASSWORD" gosu postgres pg_basebackup -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}" \
    -U "$PITR_REPLICATION_USER" -D "$data" -R -S standby_slot -X stream --no-password
fi
exec docker-entrypoint.sh "$@"
