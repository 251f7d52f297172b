// Waiting for a condition by polling it: the one implementation the browser tests (through
// test/browser/helpers.ts), the servers' self-tests, the background check and the bench share.
// Plain JavaScript without imports, so that it runs in Node and in the test pages alike.
// (Unit tests with fake clocks wait on their own terms: they advance time, they do not poll.)

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Checks `check` every `everyMs` until it returns something other than undefined, null or
 * false; resolves with that value, or with null once `timeoutMs` has passed (`check` runs at
 * least once). `wait` waits between checks (the soak passes timers it does not count).
 * @template T
 * @param {() => T | Promise<T>} check
 * @param {number} timeoutMs
 * @param {number} [everyMs]
 * @param {(ms: number) => Promise<unknown>} [wait]
 * @returns {Promise<NonNullable<T> | null>}
 */
export async function poll(check, timeoutMs, everyMs = 50, wait = sleep) {
  const start = performance.now();
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return /** @type {NonNullable<T>} */ (value);
    if (performance.now() - start > timeoutMs) return null;
    await wait(everyMs);
  }
}

/**
 * As poll(), but rejects once `timeoutMs` has passed, naming `what` (a function: read then,
 * so the message can say how things stood).
 * @template T
 * @param {() => T | Promise<T>} check
 * @param {string | (() => string)} what
 * @param {number} [timeoutMs]
 * @param {number} [everyMs]
 * @returns {Promise<NonNullable<T>>}
 */
export async function until(check, what, timeoutMs = 30000, everyMs = 50) {
  const value = await poll(check, timeoutMs, everyMs);
  if (value === null) throw new Error(`not within ${timeoutMs} ms: ${typeof what === 'function' ? what() : what}`);
  return value;
}
