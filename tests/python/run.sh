#!/usr/bin/env bash
# The independent check: a third-party SQL API v2 client from PyPI (async-snowflake, pinned in
# requirements.txt) authenticates with a key pair against `snowgate emulator` and runs SHOW and
# SELECT statements. Run by .ci/run; needs python3 with venv and network access to PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/snowgate"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"

venv="$cache/python-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

cargo build --quiet -p snowgate --manifest-path "$repo/Cargo.toml"
snowgate="$CARGO_TARGET_DIR/debug/snowgate"

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The client's own key pair, made with the client's own crypto library.
"$venv/bin/python" - "$work" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
with open(f"{sys.argv[1]}/rsa_key.p8", "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
with open(f"{sys.argv[1]}/rsa_key.pub", "wb") as f:
    f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
PY

"$snowgate" emulator --listen 127.0.0.1:0 --account PYORG-PYACCOUNT --partition-size 200 \
  --user "PYUSER=$work/rsa_key.pub" --seed "$here/seed.sql" --key-dir "$work" \
  >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!

url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^Snowflake emulator ready on //p' "$work/emulator.out")"
  [ -n "$url" ] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then cat "$work/emulator.err" >&2; exit 1; fi
  sleep 0.1
done
[ -n "$url" ] || { echo "the emulator did not start" >&2; cat "$work/emulator.err" >&2; exit 1; }

"$venv/bin/python" "$here/check.py" "$url" "pyorg-pyaccount" "pyuser" "$work/rsa_key.p8"
