#!/usr/bin/env bash
# Resync cost: the release binary against the emulator with a generated account, `sync run` of
# `columns`: the first run, a second that finds nothing changed, the same with --reset (every
# schema processed in full, as before unchanged schemas were skipped), and a run after one column
# was added in one schema. Prints wall time and Snowgate's CPU (user + sys) of each run.
#
#   bash benches/resync.sh                         # databases=20,schemas=50,tables=100,columns=20
#   SPEC=databases=2,schemas=10,tables=10,columns=10 bash benches/resync.sh
set -euo pipefail
cd "$(dirname "$0")/.."
spec="${SPEC:-databases=20,schemas=50,tables=100,columns=20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snowgate/target}"
cargo build --release -p snowgate --locked --quiet
bin="$CARGO_TARGET_DIR/release/snowgate"

work="$(mktemp -d)"
trap 'kill "$emulator" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin" emulator --generate "$spec" --listen "127.0.0.1:$port" --key-dir "$work/keys" --sync-wait 30 \
  >"$work/emulator.out" 2>"$work/emulator.err" &
emulator=$!
for _ in $(seq 1 600); do grep -q "Snowflake emulator ready on" "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^Snowflake emulator ready on //p' "$work/emulator.out")"
account="$(sed -n 's/^account: \([^ ]*\).*/\1/p' "$work/emulator.out")"
[ -n "$url" ] || { cat "$work/emulator.out" "$work/emulator.err"; exit 1; }

export SNOWGATE_DATA_DIR="$work/data"
"$bin" connections add --account "$account" --user DEMO --private-key "$work/keys/demo_rsa_key.p8" \
  --base-url "$url" --id bench >/dev/null

run() { # label [sync run options]
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$bin" sync run --connection bench --sync columns "$@" >"$work/run.out" 2>&1
  read -r wall user sys <"$work/time"
  printf '%-44s wall %6.2f s   Snowgate CPU %6.2f s   %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
    "$(grep -o '[0-9]* added.*' "$work/run.out" | tail -n1)"
}
echo "columns sync, account $spec"
run "first run"
run "second run, nothing changed"
run "nothing changed, --reset (full processing)" --reset
run "nothing changed, after the reset"
"$bin" sql --account "$account" --user DEMO --private-key "$work/keys/demo_rsa_key.p8" --base-url "$url" \
  "ALTER TABLE GEN_DB_0001.SCHEMA_0001.TABLE_0001 ADD COLUMN BENCH_NOTE VARCHAR(10)" >/dev/null
run "one column added in one schema"
