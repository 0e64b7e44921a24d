#!/usr/bin/env bash
# Drives the Connect UI and the dashboard of `snowgate serve --demo` in a real Chromium: a host
# page embeds the Connect UI with Nango's own @nangohq/frontend (pinned in package-lock.json),
# and the dashboard is used as an operator would. Run by .ci/run; works unattended from a clean
# clone on Debian (installs chromium with apt-get when /usr/bin/chromium is missing; needs node
# and npm). Screenshots of every page land in $HOME/.cache/snowgate/browser/screenshots.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snowgate/target}"
cache="$HOME/.cache/snowgate/browser"

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet.
  $sudo apt-get install -y chromium || { $sudo apt-get update && $sudo apt-get install -y chromium; }
fi

# The Node packages, installed once per lock file into the cache.
lock_hash="$(sha256sum tests/browser/package-lock.json | cut -c1-16)"
modules="$cache/node-$lock_hash"
if [ ! -f "$modules/node_modules/.complete" ]; then
  rm -rf "$modules"
  mkdir -p "$modules"
  cp tests/browser/package.json tests/browser/package-lock.json "$modules/"
  (cd "$modules" && npm ci --no-audit --no-fund --no-update-notifier --loglevel=error)
  touch "$modules/node_modules/.complete"
fi

# SNOWGATE_BIN runs an already built binary instead.
bin="${SNOWGATE_BIN:-}"
if [ -z "$bin" ]; then
  echo "building snowgate"
  cargo build -p snowgate --locked --quiet
  bin="$CARGO_TARGET_DIR/debug/snowgate"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The test reads the demo user's key through the API, which needs the credentials permission.
SNOWGATE_API__READ_CREDENTIALS=true SNOWGATE_ENGINE__POLL_INTERVAL_MS=100 \
  SNOWGATE_ENGINE__WEBHOOKS__FIRST_RETRY_DELAY_MS=200 \
  "$bin" serve --demo --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
for _ in $(seq 1 600); do grep -q "Press Ctrl-C" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
if ! grep -q "Press Ctrl-C" "$work/serve.out"; then
  echo "snowgate serve --demo did not start:"; cat "$work/serve.out" "$work/serve.err"; exit 1
fi
url="$(sed -n 's/^Snowgate API on \([^ ]*\).*/\1/p' "$work/serve.out")"
key="$(sed -n 's/.*API key: \([0-9a-f-]*\).*/\1/p' "$work/serve.out" | head -n1)"

mkdir -p "$cache/screenshots"
status=0
SNOWGATE_URL="$url" SNOWGATE_SECRET_KEY="$key" BROWSER_MODULES="$modules/node_modules" \
  SCREENSHOTS="$cache/screenshots" CHROMIUM=/usr/bin/chromium \
  node --test --test-reporter=spec tests/browser/browser.test.mjs 2>&1 | tee "$work/test.out" || status=$?
# On failure the server's last lines, then (last, where a truncated log still shows it) why.
if [ "$status" -ne 0 ]; then
  echo "--- snowgate serve stderr (last 40 lines)"; tail -n 40 "$work/serve.err"
  echo "--- the failures again"; sed -n '/failing tests:/,$p' "$work/test.out"
fi
exit "$status"
