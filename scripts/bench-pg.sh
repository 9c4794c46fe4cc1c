#!/usr/bin/env bash
# Benchmark: 1,000,000 rows through webdbc-relay in Node, webdbc vs @neondatabase/serverless.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-pkg.sh >/dev/null
(cd tests/bench && [ -d node_modules/@neondatabase/serverless ] || npm install --no-audit --no-fund --silent)
cargo build -q --release -p webdbc-testkit --bin webdbc-testenv
RUST_LOG= target/release/webdbc-testenv node --experimental-websocket tests/bench/pg-select.mjs 2> >(grep -v '^webdbc-relay: ' >&2)
