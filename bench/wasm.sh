#!/usr/bin/env bash
# WebAssembly vs native throughput of the standard workloads.
#
# Builds the wasm bench (`cargo build --release --target wasm32-unknown-unknown -p bourse-bench`,
# then `wasm-bindgen --target nodejs --out-dir target/wasm-bench`), runs bench/wasm-bench.mjs in Node,
# runs the same workloads natively and prints the wasm/native ratio per workload (target ≥ 0.7).
# All of that is done by `bourse bench --wasm`; extra arguments are passed on
# (e.g. `bench/wasm.sh --orders 1000000 --workload realistic`).
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli 0.2.130 (~/.cargo/bin or PATH), node ≥ 18.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -q -p bourse -- bench --wasm "$@"
