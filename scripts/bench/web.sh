#!/usr/bin/env bash
# Web bench of the trading terminal in headless Chromium: gzip -9 bundle size, time to the first
# order book on screen, frame time and main-thread busy time at max simulation speed, and the
# worker's sustained throughput. Prints a table and writes target/bench-web.json (~20-40 s).
#
# Uses dist/ as it is; builds it (scripts/trunk.sh build --release) only when it is missing.
# Extra arguments go to scripts/bench/web.mjs (e.g. --seconds 10 --loads 5 --baseline 3).
# Needs: node ≥ 18, Chromium at /usr/bin/chromium (or $CHROMIUM), playwright-core (npm ci).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f dist/index.html ] || ! ls dist/*_bg.wasm >/dev/null 2>&1; then
  echo "== dist/ missing: building it (scripts/trunk.sh build --release)"
  bash scripts/trunk.sh build --release
else
  bash scripts/npm-deps.sh
fi
exec node scripts/bench/web.mjs "$@"
