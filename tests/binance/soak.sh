#!/usr/bin/env bash
# Soak of ccxt.pro watch_order_book against a real `bourse serve --scenario volatile --speed 10`
# (not part of scripts/test.sh: it runs an hour by default):
#
#   BOURSE_SOAK_SECS=3600 bash tests/binance/soak.sh        # duration, default 3600 s
#   BOURSE_SOAK_CHECK_SECS=600                             # paused REST comparison every … s
#   BOURSE_BIN=target/release/bourse                       # another build (default debug)
#
# Prints the updates seen and "ChecksumErrors 0", or the failure; the exit code says which.
# Needs target/binance-venv (scripts/setup.sh) and `cargo build -p bourse`.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BOURSE_BIN:-target/debug/bourse}
export PYTHONDONTWRITEBYTECODE=1
VENV=target/binance-venv
TOKEN=binance-soak-admin-token-0001
DATA=$(mktemp -d); OUT=$(mktemp)
BOURSE_ADMIN_TOKEN=$TOKEN "$BIN" serve --addr 127.0.0.1:0 --scenario volatile --speed 10 --seed 7 \
  --data-dir "$DATA" >"$OUT" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA" "$OUT"; }
trap cleanup EXIT
for _ in $(seq 1 300); do
  ADDR=$(awk '/^listening/ {print $2}' "$OUT")
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "${ADDR:-}" ] || { cat "$OUT"; echo "bourse serve did not start" >&2; exit 1; }
SECS=${BOURSE_SOAK_SECS:-3600}
echo "soak: watch_order_book BTC/USDT on http://$ADDR (volatile, 10x) for $SECS s"
timeout $((${SECS%.*} + 300)) "$VENV/bin/python" tests/binance/soak.py "http://$ADDR" "$TOKEN"
