#!/usr/bin/env bash
# The wal_capture container's entrypoint: wait for the primary, run the start-up checks (creating the slot, the
# bucket and the table where they are missing), then run the long-running service (capture and scheduled snapshots).
# Outside a container it runs the same way, given PITR (how to run pitr), PITR_CONFIG and PITR_SERVICE.
set -euo pipefail
read -r -a pitr <<<"${PITR:-java -jar /opt/pitr/pitr.jar}"
read -r -a service <<<"${PITR_SERVICE:-run}"
config="${PITR_CONFIG:-/etc/pitr/pitr.yaml}"
# the settings LocalStack's init hook wrote from pitr's stack (bucket, table, ARNs), where there are any
outputs="${PITR_STACK_OUTPUTS:-/var/lib/pitr/stack/outputs.env}"
if [ -f "$outputs" ]; then
  set -a
  # shellcheck source=/dev/null
  . "$outputs"
  set +a
fi
host="${PITR_PRIMARY_HOST:?set PITR_PRIMARY_HOST}"
port="${PITR_PRIMARY_PORT:-5432}"
wait="${PITR_WAIT_SECONDS:-120}"
for ((i = 0; ; i++)); do
  pg_isready -q -h "$host" -p "$port" && break
  if ((i >= wait)); then
    echo "capture: the primary at $host:$port did not answer within $wait s" >&2
    exit 1
  fi
  sleep 1
done
# the DynamoDB catalog keys everything by the cluster's system identifier; ask the primary for it unless it is set
if [ -z "${PITR_CATALOG_CLUSTER:-}" ]; then
  PITR_CATALOG_CLUSTER="$(PGPASSWORD="${PITR_PRIMARY_PASSWORD:-}" psql -XAt -c IDENTIFY_SYSTEM \
    "host=$host port=$port user=${PITR_PRIMARY_USER:-postgres} dbname=replication replication=true" | cut -d'|' -f1)"
  export PITR_CATALOG_CLUSTER
fi
"${pitr[@]}" --config "$config" check --fix
exec "${pitr[@]}" --config "$config" "${service[@]}"
