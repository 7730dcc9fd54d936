#!/usr/bin/env bash
# Run Trunk with the project's local tools: npm packages (binaryen's wasm-opt 132 first on PATH)
# and the pinned wasm-bindgen. Usage: scripts/trunk.sh build --release | serve --release ...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/npm-deps.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
exec trunk "$@"
