// The JS half of the bindings: PEP 249 error classes and async iteration over a cursor.
// Imported by the wasm module itself, so errors thrown from Rust are instances of these classes
// in every environment (npm package, wasm-bindgen-test, Pyodide).

/** PEP 249's `Error`: the base of every error webdbc raises. */
export class WebdbcError extends Error {
  constructor(message, fields) {
    super(message);
    if (fields) {
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) this[k] = v;
    }
  }
}
export class Warning extends Error {}
export class InterfaceError extends WebdbcError {}
export class DatabaseError extends WebdbcError {}
export class DataError extends DatabaseError {}
export class OperationalError extends DatabaseError {}
export class IntegrityError extends DatabaseError {}
export class InternalError extends DatabaseError {}
export class ProgrammingError extends DatabaseError {}
export class NotSupportedError extends DatabaseError {}

const classes = {
  WebdbcError, Warning, InterfaceError, DatabaseError, DataError, OperationalError,
  IntegrityError, InternalError, ProgrammingError, NotSupportedError,
};
// Each class names itself: minifiers rename classes, and `error.name` is PEP 249's class name.
for (const [name, cls] of Object.entries(classes)) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

export function errorClasses() {
  return { ...classes };
}

export function makeError(kind, message, fields) {
  return new (classes[kind] ?? DatabaseError)(message, fields);
}

/** Rows handed out per step of `for await (const row of cursor)`. */
const ITERATION_BATCH = 1000;

export function installAsyncIterator(cursor) {
  const proto = Object.getPrototypeOf(cursor);
  if (Object.prototype.hasOwnProperty.call(proto, Symbol.asyncIterator)) return;
  Object.defineProperty(proto, Symbol.asyncIterator, {
    value: async function* rows() {
      for (;;) {
        const batch = await this.fetchmany(ITERATION_BATCH);
        if (batch.length === 0) return;
        yield* batch;
      }
    },
  });
}
