#!/usr/bin/env bash
# The restore container's entrypoint, for 'docker compose run --rm restore ARGS': with arguments, one restore into
# the container's volume ('--latest', '--to TIME', ...); without, the restore agent that runs the state machine's
# steps on this host. The restored server listens on port 5433.
set -euo pipefail
read -r -a pitr <<<"${PITR:-java -jar /opt/pitr/pitr.jar}"
config="${PITR_CONFIG:-/etc/pitr/pitr.yaml}"
# the settings LocalStack's init hook wrote from pitr's stack (bucket, table, ARNs), where there are any
outputs="${PITR_STACK_OUTPUTS:-/var/lib/pitr/stack/outputs.env}"
if [ -f "$outputs" ]; then
  set -a
  # shellcheck source=/dev/null
  . "$outputs"
  set +a
fi
if (($# == 0)); then
  exec "${pitr[@]}" --config "$config" agent
fi
exec "${pitr[@]}" --config "$config" restore "$@" --target-dir "${PITR_RESTORE_DIR:-/var/lib/pitr/restore/data}" \
  --port "${PITR_RESTORE_PORT:-5433}"
