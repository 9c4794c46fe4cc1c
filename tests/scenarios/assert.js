// Assertions for the end-to-end scenarios: each throws an AssertionError that says what was
// expected and what came.

export class AssertionError extends Error {}

export function fail(msg) {
  throw new AssertionError(msg);
}

export function show(v) {
  return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? `bytes[${[...x]}]` : x));
}

export function eq(actual, expected, what) {
  if (show(actual) !== show(expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function ok(cond, what) {
  if (!cond) fail(what);
}

/** Runs `fn`, expects it to reject with an instance of `cls`; returns the error. */
export async function rejects(fn, cls, what) {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof cls)) fail(`${what}: expected ${cls.name}, got ${e?.name}: ${e?.message}`);
    return e;
  }
  fail(`${what}: expected ${cls.name}, but it succeeded`);
}

export async function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new AssertionError(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
