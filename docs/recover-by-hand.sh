#!/usr/bin/env bash
# Reads one pitr object back to its plain bytes with standard tools only (gpg, zstd, and argon2 for a passphrase),
# for the day pitr itself is not available. docs/operating.md, "Reading an object by hand", explains each step.
#
# usage: recover-by-hand.sh REPO OBJECT OUT KIND KEY
#   REPO    a directory holding the repository's objects (a local repository, or a copy of the S3 prefix:
#           aws s3 cp --recursive s3://BUCKET/PREFIX REPO; the object, its envelope and keys/kdf.json are enough)
#   OBJECT  the object's key, e.g. wal/0000000100000000/000000010000000000000003.zst or snapshots/ID/base.tar.zst
#   OUT     where the plain bytes go: a WAL segment, or the snapshot's tar of the data directory
#   KIND    key-file         KEY is the key file (64 hex digits)
#           passphrase-file  KEY is a file whose first line is the passphrase
#           secret-key       KEY is the armored OpenPGP secret key (gpg --export-secret-keys --armor)
set -euo pipefail
[[ $# -eq 5 ]] || { sed -n '5,14p' "$0" >&2; exit 2; }
repo=$1 object=$2 out=$3 kind=$4 key=$5
body="$repo/$object"
envelope="$repo/envelopes/$object"

work=$(mktemp -d)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT
gpg=(gpg --homedir "$work" --batch --quiet --no-tty --pinentry-mode loopback)

# A body that starts with a zstd frame (0x28) was stored unencrypted.
if [[ $(head -c1 "$body" | od -An -tx1 | tr -d ' \n') == 28 ]]; then
  zstd -d -q -c "$body" > "$out"
  exit 0
fi

# 1. Open the envelope: it is an OpenPGP message whose content is the object's data key as "9:HEX".
case "$kind" in
  key-file)
    # the envelope's password is the key-encryption key in lowercase hex, as the key file holds it
    tr -d ' \r\n' < "$key" | tr 'A-F' 'a-f' > "$work/kek"
    "${gpg[@]}" --passphrase-file "$work/kek" --decrypt "$envelope" > "$work/session-key"
    ;;
  passphrase-file)
    # the key-encryption key is Argon2id(passphrase) with the salt and cost in keys/kdf.json
    kdf="$repo/keys/kdf.json"
    field() { sed -n "s/.*\"$1\" *: *\"\{0,1\}\([^\",]*\)\"\{0,1\}.*/\1/p" "$kdf"; }
    [[ $(field kdf) == argon2id && $(field version) == 19 ]] || { echo "unknown KDF in $kdf" >&2; exit 1; }
    head -n1 "$key" | tr -d '\r\n' \
      | argon2 "$(field salt)" -id -t "$(field iterations)" -k "$(field memory_kib)" -p "$(field lanes)" -l 32 -r \
      > "$work/kek"
    "${gpg[@]}" --passphrase-file "$work/kek" --decrypt "$envelope" > "$work/session-key"
    ;;
  secret-key)
    "${gpg[@]}" --import "$key"
    "${gpg[@]}" --decrypt "$envelope" > "$work/session-key"
    ;;
  *)
    echo "KIND must be key-file, passphrase-file or secret-key" >&2
    exit 2
    ;;
esac

# 2. Decrypt the body with that session key (gpg checks its integrity code and fails on any change), then unzstd.
#    Nothing is left in OUT unless both steps succeed.
if ! "${gpg[@]}" --override-session-key-fd 3 --decrypt "$body" 3< "$work/session-key" | zstd -d -q -c > "$out.part"; then
  rm -f "$out.part"
  echo "cannot recover $object: it was changed, cut short, or the key is wrong" >&2
  exit 1
fi
mv "$out.part" "$out"
