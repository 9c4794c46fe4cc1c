#!/usr/bin/env bash
# Builds the npm package into pkg/ (the wasm client, its generated glue, and pkg-templates/),
# packs it into dist/webdbc-<version>.tgz with npm pack, prints its sizes, and builds the
# Pyodide wheel from it.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
# Debian's binaryen breaks wasm-bindgen output (shared/toolchain.md); .ci/run installs npm's.
wasm_opt=scripts/node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || { echo "build-pkg: $wasm_opt is missing: run .ci/run once (or: cd scripts && npm ci)" >&2; exit 1; }

cargo build --lib --target wasm32-unknown-unknown --profile "$profile"
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name webdbc_wasm \
  "target/wasm32-unknown-unknown/$profile/webdbc.wasm"
# The features rustc enables by default for wasm32-unknown-unknown, which wasm-bindgen's output uses.
"$wasm_opt" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/webdbc_wasm_bg.wasm -o pkg/webdbc_wasm_bg.wasm
snippet=$(cd pkg && ls snippets/*/src/js/webdbc.js)
sed "s#./__SNIPPET__#./$snippet#" pkg-templates/api.js > pkg/api.js
cp pkg-templates/{package.json,index.js,node.js,index.d.ts,README.md} LICENSE-MIT LICENSE-APACHE pkg/
rm -f pkg/webdbc_wasm.d.ts pkg/webdbc_wasm_bg.wasm.d.ts pkg/.gitignore

mkdir -p dist
tarball=$(cd pkg && npm pack --silent --pack-destination ../dist)
size() { printf '%6d KiB raw, %6d KiB gzipped' $(($(cat "$@" | wc -c) / 1024)) $(($(cat "$@" | gzip -9 | wc -c) / 1024)); }
js=$(cd pkg && find . -name '*.js' | sort)
echo "pkg/ wasm: $(size pkg/webdbc_wasm_bg.wasm)"
echo "pkg/ JS:   $(size $(printf 'pkg/%s ' $js))  ($(echo $js | wc -w) files)"
echo "dist/$tarball: $(($(wc -c < "dist/$tarball") / 1024)) KiB"
python3 scripts/build-wheel.py
