// What both entries share; each entry says where the wasm comes from (index.js: a URL next to
// this file, which bundlers follow; node.js: the file's bytes, since Node's fetch reads no files).
import init, * as wasm from "./webdbc_wasm.js";

export {
  WebdbcError, Warning, InterfaceError, DatabaseError, DataError, OperationalError,
  IntegrityError, InternalError, ProgrammingError, NotSupportedError,
} from "./__SNIPPET__";

/** PEP 249 module globals, for code ported from Python drivers. */
export const apilevel = "2.0";
export const threadsafety = 1;
export const paramstyle = "qmark";

/** load(), connect() and wasmMemoryBytes() over `wasmSource`, a function giving what
 * wasm-bindgen's init takes (a URL, a Response or the bytes). */
export function bind(wasmSource) {
  let ready;
  // A failed load (offline, say) is not remembered: the next call tries again.
  const load = () =>
    (ready ??= (async () => {
      await init({ module_or_path: await wasmSource() });
    })().catch((e) => {
      ready = undefined;
      throw e;
    }));
  return {
    load,
    connect: async (url, options) => {
      await load();
      return wasm.connect(url, options);
    },
    wasmMemoryBytes: async () => {
      await load();
      return wasm.wasmMemoryBytes();
    },
  };
}
