#!/usr/bin/env bash
# WebAssembly vs native throughput of the standard workloads (crates/workloads); target ratio ≥ 0.7.
#
# Builds the native CLI (`cargo build --release -p bourse`) and the workloads for wasm32
# (`cargo build --release --target wasm32-unknown-unknown -p bourse-workloads`, then
# `wasm-bindgen --target nodejs --out-dir target/wasm-bench`), then runs scripts/bench/wasm.mjs:
# it alternates rounds of the wasm build (in Node) and of the native one (`bourse bench --json`),
# keeps the best of each and prints the ratio per workload and whether the checksums agree.
# Extra arguments go to wasm.mjs (e.g. `--orders 1000000 --workload exchange-realistic --rounds 5`).
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli 0.2.130 (~/.cargo/bin or PATH),
# node ≥ 18. Takes 1-3 minutes after the builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
wasm_bindgen="$HOME/.cargo/bin/wasm-bindgen"
[ -x "$wasm_bindgen" ] || wasm_bindgen=wasm-bindgen
echo "== cargo build --release -p bourse; cargo build --release --target wasm32-unknown-unknown -p bourse-workloads" >&2
cargo build --release -q -p bourse
cargo build --release -q --target wasm32-unknown-unknown -p bourse-workloads
"$wasm_bindgen" --target nodejs --out-dir target/wasm-bench \
  "$target/wasm32-unknown-unknown/release/bourse_workloads.wasm"
exec node scripts/bench/wasm.mjs --bourse "$target/release/bourse" "$@"
