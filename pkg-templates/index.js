// webdbc: database connectivity for the web. The entry for browsers, workers and bundlers.
// The wasm loads on first connect() (or load()); the error classes are usable at once.
import { bind, InterfaceError } from "./api.js";

export {
  WebdbcError, Warning, InterfaceError, DatabaseError, DataError, OperationalError,
  IntegrityError, InternalError, ProgrammingError, NotSupportedError,
  apilevel, threadsafety, paramstyle,
} from "./api.js";

export const { load, connect, wasmMemoryBytes } = bind(async () => {
  const url = new URL("./webdbc_wasm_bg.wasm", import.meta.url);
  // Node code given this entry (jsdom test environments set the "browser" condition): Node's
  // fetch reads no files.
  if (url.protocol === "file:" && globalThis.process?.getBuiltinModule) {
    return globalThis.process.getBuiltinModule("fs").promises.readFile(url);
  }
  const response = await fetch(url).catch((e) => {
    throw new InterfaceError(`could not load the webdbc engine from ${url}: ${e.message}`);
  });
  if (!response.ok) {
    throw new InterfaceError(
      `could not load the webdbc engine from ${url}: HTTP ${response.status}. The wasm file must be ` +
        "served next to the module (with Vite's dev server: optimizeDeps: { exclude: ['webdbc'] })",
    );
  }
  return response;
});
