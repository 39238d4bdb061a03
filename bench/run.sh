#!/usr/bin/env bash
# pitr against pgBackRest and the cp floor on one throwaway cluster, in one run: snapshot, shipping, restore.
# Installs the newest pgBackRest Debian ships (Debian 13's, bench/install-pgbackrest.sh; Debian's own package when that
# cannot be had), builds pitr, prints a markdown table and writes bench/results.json. Not part of the test run.
# Usage: bench/run.sh [--scale N] [--segments N] [--rounds N] [--json FILE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! pgbackrest="$(bash "$here/bench/install-pgbackrest.sh")"; then
  echo "Debian 13's pgBackRest could not be installed; comparing against this system's package" >&2
  if ! command -v pgbackrest >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends pgbackrest
  fi
  pgbackrest=pgbackrest
fi
exec "$here/pitr" bench peers --pgbackrest "$pgbackrest" "$@"
