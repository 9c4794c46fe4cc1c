#!/usr/bin/env bash
# Benchmark: 100,000 rows into Python tuples in Pyodide (Node), next to the JS API's figure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-pkg.sh >/dev/null
(cd tests && [ -d node_modules/pyodide ] || npm ci --no-audit --no-fund --silent)
cargo build -q --release -p webdbc-testkit --bin webdbc-testenv
target/release/webdbc-testenv node --experimental-websocket tests/pyodide/bench.mjs 2> >(grep -v '^webdbc-relay: ' >&2)
