#!/usr/bin/env bash
# Builds the npm package into pkg/: the wasm client, its generated glue, and pkg-templates/.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
cargo build --lib --target wasm32-unknown-unknown --profile "$profile"
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name webdbc_wasm \
  "target/wasm32-unknown-unknown/$profile/webdbc.wasm"
snippet=$(cd pkg && ls snippets/*/src/js/webdbc.js)
sed "s#./__SNIPPET__#./$snippet#" pkg-templates/index.js > pkg/index.js
cp pkg-templates/package.json pkg-templates/index.d.ts pkg/
cp README.md pkg/README.md
rm -f pkg/webdbc_wasm.d.ts pkg/webdbc_wasm_bg.wasm.d.ts pkg/.gitignore
echo "pkg/: $(du -k pkg/webdbc_wasm_bg.wasm | cut -f1) KiB wasm"
python3 scripts/build-wheel.py
