#!/usr/bin/env bash
# Runs once, when the primary's data directory is initialised: writes the cluster's system identifier to the volume
# LocalStack's init hook reads it from, since pitr's stack is deployed per cluster.
set -euo pipefail
dir="${PITR_CLUSTER_DIR:-/var/lib/pitr/cluster}"
psql -XAt -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -c "SELECT system_identifier FROM pg_control_system()" >"$dir/system_identifier.tmp"
mv "$dir/system_identifier.tmp" "$dir/system_identifier"
