#!/usr/bin/env bash
# Runs every test of Bourse: native unit, property and integration tests, the CLI tests, the
# WebAssembly determinism check (wasm32 under Node equals native), the worker's tests in a
# dedicated Web Worker of headless Chromium, and the end-to-end tests of the release build
# (dist/, served from the sub-path /bourse/) driven by playwright-core.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== cargo check for wasm32 (core, sim, protocol, worker, web)"
cargo check --target wasm32-unknown-unknown -p bourse-core -p bourse-sim -p bourse-protocol -p bourse-worker -p bourse-web

echo "== WebAssembly determinism (wasm-bindgen-test in Node)"
cargo test --target wasm32-unknown-unknown -p bourse-conformance

echo "== worker in headless Chromium (dedicated Web Worker; wasm digests vs native build.rs figures)"
# The runner finds chromedriver on PATH and adds --headless --no-sandbox itself; the timeout only
# adds margin (default 20 s).
WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --target wasm32-unknown-unknown -p bourse-worker --test browser

echo "== native tests (release-grade proptest counts; see tests for case numbers)"
cargo test --workspace

echo "== release build of the terminal (trunk build --release → dist/)"
bash scripts/trunk.sh build --release

echo "== end-to-end tests in headless Chromium (playwright-core, dist/ served under /bourse/)"
node --test e2e/terminal.test.mjs
