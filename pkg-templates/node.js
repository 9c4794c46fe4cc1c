// webdbc: the entry for Node. The same API as index.js; the wasm is read from disk.
import { readFile } from "node:fs/promises";
import { bind } from "./api.js";

export * from "./index.js";
export const { load, connect, wasmMemoryBytes } = bind(() => readFile(new URL("./webdbc_wasm_bg.wasm", import.meta.url)));
