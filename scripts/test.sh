#!/usr/bin/env bash
# Runs every test of Bourse: native unit, property and integration tests, the CLI tests, and the
# WebAssembly determinism check (the seeded simulation's digest in wasm32 under Node equals native).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== cargo check for wasm32 (core, sim, protocol, worker)"
cargo check --target wasm32-unknown-unknown -p bourse-core -p bourse-sim -p bourse-protocol -p bourse-worker

echo "== WebAssembly determinism (wasm-bindgen-test in Node)"
cargo test --target wasm32-unknown-unknown -p bourse-conformance

echo "== native tests (release-grade proptest counts; see tests for case numbers)"
cargo test --workspace
