#!/usr/bin/env bash
# The chaos suite (ChaosSuite): a primary with a synchronous standby under pgbench, archived by `pitr run` into S3
# and DynamoDB behind fault proxies, with faults injected at random, then WAL continuity, every checksum and four
# restores checked. Not part of the default test run. Runs as root (PostgreSQL as the postgres user, a tmpfs spool).
# Usage: bench/chaos.sh [--seed N] [--minutes M]   (defaults: seed 1, 17 minutes of faults, about 20 minutes in all)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seed=1
minutes=17
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --minutes) minutes="$2"; shift 2 ;;
    *) echo "usage: bench/chaos.sh [--seed N] [--minutes M]" >&2; exit 2 ;;
  esac
done
log="$(mktemp /tmp/pitr-chaos-XXXXXX.log)"
cd "$here"
set +e
mvn -B -q -am -pl archiver verify -Dfuzz.skip=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=ChaosSuite -Dfailsafe.failIfNoSpecifiedTests=false -Dchaos.seed="$seed" -Dchaos.minutes="$minutes" \
  >"$log" 2>&1
rc=$?
set -e
report="archiver/target/failsafe-reports/dev.pitr.ChaosSuite-output.txt"
grep -h '^\[chaos ' "$report" "$log" 2>/dev/null | sort -u || true
echo "full output: $log"
exit $rc
