#!/usr/bin/env bash
# Runs every test of Bourse: the import-circle check, native unit, property and integration tests
# (the CLI's and the conformance fixtures' included), the WebAssembly determinism checks
# (tests/conformance: wasm32 under Node, and the worker in a dedicated Web Worker of headless
# Chromium, against the committed native fixtures), and the end-to-end tests of the release build
# (dist/, served from the sub-path /bourse/) driven by playwright-core (tests/e2e: the terminal and
# the lessons with the teacher page), and the server's:
# in-process REST/WebSocket tests, a bounded SIGKILL crash loop (crates/cli/tests/serve_crash.rs,
# BOURSE_CRASH_KILLS, default 20) and two browser visitors against a real `bourse serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== no import circles between the files of a crate"
python3 scripts/check-imports.py crates/core/src crates/sim/src crates/protocol/src \
  crates/worker/src crates/cli/src crates/workloads/src crates/journal/src crates/server/src crates/lessons/src web/src

echo "== cargo check for wasm32 (core, sim, protocol, worker, web)"
cargo check --target wasm32-unknown-unknown -p bourse-core -p bourse-sim -p bourse-protocol -p bourse-worker -p bourse-web

echo "== WebAssembly determinism in Node (tests/conformance: reference run vs native fixture)"
cargo test --target wasm32-unknown-unknown -p bourse-conformance --test wasm_node

echo "== worker in headless Chromium (dedicated Web Worker; replies and digests vs native fixtures)"
# The runner finds chromedriver on PATH and adds --headless --no-sandbox itself; the timeout only
# adds margin (default 20 s).
WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --target wasm32-unknown-unknown -p bourse-conformance --test worker_browser

echo "== native tests (release-grade proptest counts; see tests for case numbers)"
cargo test --workspace

echo "== release build of the terminal (trunk build --release → dist/)"
bash scripts/trunk.sh build --release

echo "== end-to-end tests in headless Chromium (playwright-core, dist/ served under /bourse/)"
node --test tests/e2e/terminal.test.mjs

echo "== lessons end to end in headless Chromium (a lesson passed and one failed through the page, receipts, teacher.html)"
node --test tests/e2e/lessons.test.mjs

echo "== bourse serve end to end: two visitors in Chromium against a real server (dist/ from --web-dir)"
cargo build -p bourse
node --test tests/e2e/server.test.mjs

echo "== schemathesis against /openapi.json of a real bourse serve (bounded: 10 examples per operation)"
bash tests/schemathesis/run.sh

echo "== ccxt 4.5.90 (REST and ccxt.pro WebSocket) against the Binance spot API of a real bourse serve"
bash tests/binance/run.sh
