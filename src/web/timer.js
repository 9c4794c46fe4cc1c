// Timers for the wasm side: pauses inside operations and deadlines that do not keep Node alive.

// setTimeout fires at once for delays past 2^31 - 1 ms: longer waits wait that long.
const MAX_DELAY = 2147483647;

/** Resolves after `ms`: a pause inside an operation someone awaits, so Node keeps running for it. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.min(ms, MAX_DELAY)));
}

/** A timer for `ms` milliseconds: `promise` resolves then, `cancel()` stops it. In Node it does not
 * keep the process alive. */
export function timer(ms) {
  let id;
  const promise = new Promise((resolve) => {
    id = setTimeout(resolve, Math.min(ms, MAX_DELAY));
    id?.unref?.();
  });
  return { promise, cancel: () => clearTimeout(id) };
}
