#!/usr/bin/env bash
# Drives `snowgate serve` (with the Snowflake emulator) with the real `@nangohq/node` client from
# npm, pinned in package.json. Run by .ci/run; works from a clean clone (node and npm installed).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snowgate/target}"

# SNOWGATE_BIN runs an already built binary instead.
bin="${SNOWGATE_BIN:-}"
if [ -z "$bin" ]; then
  echo "building snowgate"
  cargo build -p snowgate --locked --quiet
  bin="$CARGO_TARGET_DIR/debug/snowgate"
fi

# The client, installed once per pinned version into a cache directory.
version="$(node -p "require('./tests/node/package.json').dependencies['@nangohq/node']")"
modules="$HOME/.cache/snowgate/node-client-$version"
if [ ! -f "$modules/node_modules/@nangohq/node/package.json" ]; then
  mkdir -p "$modules"
  cp tests/node/package.json "$modules/"
  (cd "$modules" && npm install --no-audit --no-fund --loglevel=error)
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_for() { # file pattern
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
}

"$bin" emulator --demo --listen "127.0.0.1:$(free_port)" --key-dir "$work/keys" --sync-wait 5 >"$work/emulator.out" 2>"$work/emulator.err" &
pids+=($!)
wait_for "$work/emulator.out" "Press Ctrl-C"
emulator_url="$(sed -n 's/^Snowflake emulator ready on //p' "$work/emulator.out")"
account="$(sed -n 's/^account: \([^ ]*\).*/\1/p' "$work/emulator.out")"

# The README's custom actions, served to the client like the built-in ones.
cat >"$work/snowgate.toml" <<'TOML'
[[engine.custom_actions]]
name = "customer-by-email"
description = "One customer, by e-mail address"
sql = "SELECT CUSTOMER_ID, EMAIL, PLAN FROM DEMO_DB.SALES.CUSTOMERS WHERE EMAIL = :email"
output = "first_row"
[engine.custom_actions.input.email]
type = "string"

[[engine.custom_actions]]
name = "set-plan"
sql = "UPDATE DEMO_DB.SALES.CUSTOMERS SET PLAN = :plan WHERE EMAIL = :email"
[engine.custom_actions.input.email]
type = "string"
[engine.custom_actions.input.plan]
type = "string"
values = ["free", "pro", "enterprise"]
TOML

api_port="$(free_port)"
secret_key="$(node -e "console.log(require('crypto').randomUUID())")"
SNOWGATE_SECRET_KEY="$secret_key" SNOWGATE_ENGINE__POLL_INTERVAL_MS=100 \
  SNOWGATE_ENGINE__WEBHOOKS__FIRST_RETRY_DELAY_MS=200 \
  "$bin" serve --config "$work/snowgate.toml" --listen "127.0.0.1:$api_port" --data-dir "$work/data" >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
wait_for "$work/serve.out" "Press Ctrl-C"

status=0
SNOWGATE_URL="http://127.0.0.1:$api_port" SNOWGATE_SECRET_KEY="$secret_key" \
  EMULATOR_URL="$emulator_url" EMULATOR_ACCOUNT="$account" EMULATOR_USER=DEMO \
  EMULATOR_KEY_FILE="$work/keys/demo_rsa_key.p8" NANGO_CLIENT_DIR="$modules" \
  node --test --test-reporter=spec tests/node/nango.test.mjs 2>&1 | tee "$work/test.out" || status=$?
# On failure the server's last lines, then (last, where a truncated log still shows it) why.
if [ "$status" -ne 0 ]; then
  echo "--- snowgate serve stderr (last 40 lines)"; tail -n 40 "$work/serve.err"
  echo "--- the failures again"; sed -n '/failing tests:/,$p' "$work/test.out"
fi
exit "$status"
