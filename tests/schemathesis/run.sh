#!/usr/bin/env bash
# A bounded schemathesis run against a real `bourse serve` (debug build, no simulated
# participants, 127.0.0.1 ephemeral port, temporary data directory): every operation of
# /openapi.json with 10 generated examples each (fixed seed), checking that no response is a 5xx
# and that every response conforms to the document. The server is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BOURSE_BIN:-target/debug/bourse}
VENV=target/schemathesis-venv
DATA=$(mktemp -d)
OUT=$(mktemp)
TOKEN=schemathesis-admin-token-0001
BOURSE_ADMIN_TOKEN=$TOKEN "$BIN" serve --addr 127.0.0.1:0 --no-agents --seed 1 --data-dir "$DATA" >"$OUT" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA" "$OUT"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  ADDR=$(awk '/^listening/ {print $2}' "$OUT")
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "${ADDR:-}" ] || { cat "$OUT"; echo "bourse serve did not start" >&2; exit 1; }
timeout 300 "$VENV/bin/schemathesis" run "http://$ADDR/openapi.json" --experimental=openapi-3.1 \
  --checks not_a_server_error,response_schema_conformance \
  --hypothesis-max-examples 10 --hypothesis-seed 1 --hypothesis-deadline none \
  --hypothesis-database none \
  -H "Authorization: Bearer $TOKEN"
