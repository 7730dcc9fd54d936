#!/usr/bin/env bash
# Installs what Bourse's build and tests need on a fresh machine; skips what is already present at
# the pinned version. Safe to run repeatedly.
set -euo pipefail
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pinned in Cargo.toml / Cargo.lock

log() { printf '[setup] %s\n' "$*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # Without --locked: the CLI's own lockfile pins a crate version the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing nodejs"
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi

# --- the browser build and its tests -------------------------------------------------------------
TRUNK_VERSION=0.21.14          # 0.22 needs a newer rustc (see ../shared/TOOLCHAIN.md)

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 10-15 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION" --force
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  log "installing chromium and chromium-driver (Debian)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# npm packages of package-lock.json: lightweight-charts, binaryen (wasm-opt 132), playwright-core.
bash "$(dirname "$0")/npm-deps.sh"

# The bounded schemathesis run of the server's OpenAPI document (tests/schemathesis): a virtual
# environment from the pinned requirements file.
VENV=target/schemathesis-venv
REQ=tests/schemathesis/requirements.txt
cd "$(dirname "$0")/.."
if ! cmp -s "$REQ" "$VENV/requirements.txt" 2>/dev/null; then
  log "installing schemathesis into $VENV (pinned: $REQ)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$REQ"
  cp "$REQ" "$VENV/requirements.txt"
fi

# The ccxt compatibility suite of the Binance spot API (tests/binance): a virtual environment with
# the real ccxt 4.5.90 and pytest from the pinned requirements file.
VENV=target/binance-venv
REQ=tests/binance/requirements.txt
if ! cmp -s "$REQ" "$VENV/requirements.txt" 2>/dev/null; then
  log "installing ccxt and pytest into $VENV (pinned: $REQ)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$REQ"
  cp "$REQ" "$VENV/requirements.txt"
fi
