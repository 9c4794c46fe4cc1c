// webdbc: database connectivity for the web. The ES module entry of the npm package.
// The wasm loads on first connect(); the error classes are usable at once.
import init, * as wasm from "./webdbc_wasm.js";

export {
  WebdbcError, Warning, InterfaceError, DatabaseError, DataError, OperationalError,
  IntegrityError, InternalError, ProgrammingError, NotSupportedError,
} from "./__SNIPPET__";

/** PEP 249 module globals, for code ported from Python drivers. */
export const apilevel = "2.0";
export const threadsafety = 1;
export const paramstyle = "qmark";

let ready;

/** Loads the wasm module; connect() calls it, call it yourself to load early. */
export function load() {
  ready ??= (async () => {
    const url = new URL("./webdbc_wasm_bg.wasm", import.meta.url);
    if (url.protocol === "file:" && typeof process !== "undefined" && process.versions?.node) {
      const { readFile } = await import("node:fs/promises");
      await init({ module_or_path: await readFile(url) });
    } else {
      await init({ module_or_path: url });
    }
  })();
  return ready;
}

export async function connect(url, options) {
  await load();
  return wasm.connect(url, options);
}

/** Current size of the wasm heap in bytes (grows, never shrinks): for memory checks. */
export async function wasmMemoryBytes() {
  await load();
  return wasm.wasmMemoryBytes();
}
