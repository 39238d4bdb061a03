#!/usr/bin/env bash
# Installs the newest pgBackRest Debian ships (Debian 13's package) into a directory of its own, with the Debian 13
# libraries it links against beside it, and prints the program's path. The host's own packages are not touched: apt
# reads Debian 13's index into that directory, the packages are unpacked there, and the program is pointed at its own
# loader and libraries (patchelf, from the host's packages). Used by bench/run.sh; not part of the test run.
# Usage: bench/install-pgbackrest.sh [DIR]   (default: /opt/pitr-bench/pgbackrest)
set -euo pipefail
dest="${1:-/opt/pitr-bench/pgbackrest}"
program="$dest/bin/pgbackrest"
if [[ -x "$program" ]] && "$program" version >/dev/null 2>&1; then
  echo "$program"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v patchelf >/dev/null 2>&1; then
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends patchelf >&2
fi
apt="$dest/apt"
if [[ -e "$dest" && ! -f "$apt/sources.list" ]]; then
  echo "$dest exists and is not a directory this script made; give another" >&2
  exit 2
fi
rm -rf "$dest"
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$dest/root" "$dest/bin"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
  >"$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists"
  -o "Dir::Cache=$apt" -o "Dir::Cache::Archives=$apt/archives" -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -q >&2
# the libraries pgBackRest depends on, and theirs; postgresql-common is packaging, not a library the program loads
libs=$(apt-cache "${opts[@]}" depends pgbackrest | awk '$1 == "Depends:" && $2 !~ /^</ && $2 != "postgresql-common" {print $2}')
# shellcheck disable=SC2086 # package names are words
closure=$(apt-cache "${opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $libs | grep -v -e '^ ' -e '^<' | sort -u)
# shellcheck disable=SC2086
(cd "$apt" && apt-get "${opts[@]}" download -q pgbackrest $closure >&2)
for deb in "$apt"/*.deb; do
  dpkg-deb -x "$deb" "$dest/root"
done
lib="$dest/root/usr/lib/x86_64-linux-gnu"
cp "$dest/root/usr/bin/pgbackrest" "$program"
# RPATH, not RUNPATH: the libraries' own dependencies are found there too
patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$lib" "$program"
chmod -R a+rX "$dest"
rm -f "$apt"/*.deb
"$program" version >&2
echo "$program"
