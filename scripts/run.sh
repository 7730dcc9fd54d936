#!/usr/bin/env bash
# The main job: run a seeded market simulation for one virtual hour and print its summary.
# Extra arguments go to `bourse simulate` (e.g. --scenario flash-crash --seed 42).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo run --release -p bourse -- simulate --scenario calm --seed 7 --duration 1h --out target/run.jsonl "$@"
