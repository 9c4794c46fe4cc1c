#!/usr/bin/env bash
# Builds the npm package into pkg/ (the wasm client, its generated glue, and pkg-templates/),
# packs it into dist/webdbc-<version>.tgz with npm pack, builds the Pyodide wheel from it, and
# prints their sizes. Skips the work when pkg/ was built from the same inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
# Debian's binaryen breaks wasm-bindgen output (shared/toolchain.md); .ci/run installs npm's.
wasm_opt=scripts/node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || { echo "build-pkg: $wasm_opt is missing: run .ci/run once (or: cd scripts && npm ci)" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

# The cdylib alone: Cargo silently skips LTO for a crate that is also an rlib, and LTO makes the
# package 20 KB smaller and bulk rows half again as fast.
cargo rustc --lib --crate-type cdylib --target wasm32-unknown-unknown --profile "$profile"
stamp=$(cat "target/wasm32-unknown-unknown/$profile/webdbc.wasm" scripts/build-pkg.sh scripts/build-wheel.py \
  LICENSE-MIT LICENSE-APACHE $(find pkg-templates -type f | sort) | sha256sum)
if [ "$(cat pkg/.built-from 2>/dev/null)" = "$stamp" ] && [ -f "dist/webdbc-$version.tgz" ] &&
  [ -f "dist/webdbc-$version-py3-none-any.whl" ]; then
  echo "pkg/ and dist/ are up to date"
else
  rm -rf pkg
  wasm-bindgen --target web --out-dir pkg --out-name webdbc_wasm \
    "target/wasm32-unknown-unknown/$profile/webdbc.wasm"
  # The features rustc enables by default for wasm32-unknown-unknown, which the output uses.
  "$wasm_opt" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    pkg/webdbc_wasm_bg.wasm -o pkg/webdbc_wasm_bg.wasm
  snippet=$(cd pkg && ls snippets/*/src/bindings/errors.js)
  sed "s#./__SNIPPET__#./$snippet#" pkg-templates/api.js > pkg/api.js
  cp pkg-templates/{index.js,node.js,index.d.ts,README.md} LICENSE-MIT LICENSE-APACHE pkg/
  # One version, Cargo's, for the crate, the npm package and the wheel.
  sed "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" pkg-templates/package.json > pkg/package.json
  rm -f pkg/webdbc_wasm.d.ts pkg/webdbc_wasm_bg.wasm.d.ts pkg/.gitignore
  mkdir -p dist && rm -f dist/webdbc-*.tgz dist/webdbc-*.whl
  (cd pkg && npm pack --silent --pack-destination ../dist >/dev/null)
  python3 scripts/build-wheel.py >/dev/null
  echo "$stamp" > pkg/.built-from
fi

size() { printf '%4d KiB raw, %4d KiB gzipped' $(($(cat "$@" | wc -c) / 1024)) $(($(cat "$@" | gzip -9 | wc -c) / 1024)); }
js=$(find pkg -name '*.js' | sort)
echo "pkg/ wasm: $(size pkg/webdbc_wasm_bg.wasm)"
echo "pkg/ JS:   $(size $js) ($(echo "$js" | wc -l) files, gzipped together)"
for f in "dist/webdbc-$version.tgz" "dist/webdbc-$version-py3-none-any.whl"; do
  echo "$f: $(($(wc -c < "$f") / 1024)) KiB"
done
