#!/usr/bin/env bash
# pitr against pgBackRest and the cp floor on one throwaway cluster, in one run: snapshot, shipping, restore.
# Installs pgBackRest from Debian's packages when missing, builds pitr, prints a markdown table and writes
# bench/results.json. Not part of the test run. Usage: bench/run.sh [--scale N] [--segments N] [--json FILE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v pgbackrest >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends pgbackrest
fi
exec "$here/pitr" bench peers "$@"
