#!/usr/bin/env bash
# Install the npm packages of package-lock.json (lightweight-charts, binaryen, playwright-core)
# unless node_modules already holds exactly those versions. Run by Trunk's pre_build hook and by
# the scripts; fast (no network) when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
if node -e '
  const want = require("./package-lock.json").packages;
  const have = require("./node_modules/.package-lock.json").packages;
  for (const [k, v] of Object.entries(want)) {
    if (k !== "" && (!have[k] || have[k].version !== v.version)) process.exit(1);
  }' 2>/dev/null; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
