#!/usr/bin/env bash
# The main job: build the browser exchange (release) and serve it on http://127.0.0.1:8080.
# A live market starts trading as soon as the page opens; nothing else runs on the server side.
# (The command-line simulator is `cargo run --release -p bourse -- simulate ...`, see README.md.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "Bourse: building, then serving on http://127.0.0.1:8080/ (Ctrl-C stops)"
exec bash scripts/trunk.sh serve --release "$@"
