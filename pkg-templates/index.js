// webdbc: database connectivity for the web. The entry for browsers, workers and bundlers.
// The wasm loads on first connect() (or load()); the error classes are usable at once.
import { bind } from "./api.js";

export {
  WebdbcError, Warning, InterfaceError, DatabaseError, DataError, OperationalError,
  IntegrityError, InternalError, ProgrammingError, NotSupportedError,
  apilevel, threadsafety, paramstyle,
} from "./api.js";

export const { load, connect, wasmMemoryBytes } = bind(async () => new URL("./webdbc_wasm_bg.wasm", import.meta.url));
