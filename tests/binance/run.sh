#!/usr/bin/env bash
# The ccxt compatibility suite of the Binance spot API (tests/binance/test_ccxt.py): the real ccxt
# 4.5.90 (REST, and ccxt.pro for WebSocket) against two real `bourse serve` (debug build,
# 127.0.0.1 ephemeral ports, temporary data directories): one without simulated participants for
# exact fills, fees and balances, one running the volatile scenario at 10x for market data and
# streams. Both are stopped at the end; the run is bounded (600 s); the exit code is pytest's.
# Needs target/binance-venv (scripts/setup.sh) and `cargo build -p bourse`.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BOURSE_BIN:-target/debug/bourse}
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the tree
VENV=target/binance-venv
TOKEN=binance-ccxt-admin-token-0001
FLAT_DATA=$(mktemp -d); FLAT_OUT=$(mktemp)
LIVE_DATA=$(mktemp -d); LIVE_OUT=$(mktemp)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$FLAT_DATA" "$LIVE_DATA" "$FLAT_OUT" "$LIVE_OUT"
}
trap cleanup EXIT

BOURSE_ADMIN_TOKEN=$TOKEN "$BIN" serve --addr 127.0.0.1:0 --no-agents --seed 7 \
  --data-dir "$FLAT_DATA" >"$FLAT_OUT" 2>&1 &
PIDS+=($!)
BOURSE_ADMIN_TOKEN=$TOKEN "$BIN" serve --addr 127.0.0.1:0 --scenario volatile --speed 10 --seed 7 \
  --data-dir "$LIVE_DATA" >"$LIVE_OUT" 2>&1 &
PIDS+=($!)

addr_of() { # the address a server printed on its `listening` line (waits up to 30 s)
  local out=$1 addr=""
  for _ in $(seq 1 300); do
    addr=$(awk '/^listening/ {print $2}' "$out")
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$out" >&2; echo "bourse serve did not start" >&2; return 1; }
  echo "$addr"
}
FLAT=$(addr_of "$FLAT_OUT")
LIVE=$(addr_of "$LIVE_OUT")
echo "flat (no agents): http://$FLAT   live (volatile, 10x): http://$LIVE"

set +e
BOURSE_FLAT_URL="http://$FLAT" BOURSE_LIVE_URL="http://$LIVE" BOURSE_ADMIN_TOKEN=$TOKEN \
  timeout 600 "$VENV/bin/python" -m pytest tests/binance -p no:cacheprovider -ra -v "$@"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "--- flat server output (tail)"; tail -n 20 "$FLAT_OUT"
  echo "--- live server output (tail)"; tail -n 20 "$LIVE_OUT"
fi
exit "$rc"
