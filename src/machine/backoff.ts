/**
 * Retry pacing for a player that finds nothing live.
 *
 * Policy: attempt k (0-based) waits min(cap, base * 2^k), scaled by a jitter factor drawn
 * from [0.5, 1.0) ("equal jitter"): the delay still grows with every failed round, yet a
 * crowd of players that lost the stream at the same instant spreads its retries over half
 * the window instead of hitting the origin together. A server's Retry-After is a floor: we
 * never come back earlier than it asked. There is no give-up: a live event may start late,
 * so the player keeps probing at the capped rate until the viewer leaves.
 */

export interface BackoffPolicy {
  /** Delay of attempt 0 before jitter. */
  baseMs: number;
  /** Upper bound of the delay before jitter (and so of the delay itself). */
  capMs: number;
  /** Uniform in [0, 1); injected so tests and simulations are deterministic. */
  random: () => number;
}

/** Lower bound of the jitter factor: half the window is guaranteed to pass. */
const JITTER_FLOOR = 0.5;

/**
 * How long to wait before probing again after `attempt` failed rounds (0-based), in whole
 * milliseconds. `retryAfterMs` (the largest Retry-After the servers sent, if any) is a floor.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  const { baseMs, capMs, random } = policy;
  const k = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^k overflows to Infinity for huge k; Math.min keeps that harmless.
  const window = Math.max(0, Math.min(capMs, baseMs * 2 ** k));
  // Clamp so a sloppy random source (returning 1, or NaN) cannot escape [0.5, 1.0).
  const r = random();
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  const jittered = Math.floor(window * (JITTER_FLOOR + (1 - JITTER_FLOOR) * u));
  const floor = retryAfterMs !== undefined && retryAfterMs > 0 ? Math.ceil(retryAfterMs) : 0;
  return Math.max(jittered, floor);
}
