/**
 * Retry pacing for a player that finds nothing live (prelive) and for watchers of a source
 * that is down.
 *
 * Policy: attempt k (0-based) waits min(cap, base * 2^k), scaled by a jitter factor drawn
 * from [0.4, 1.0). The first retries are quick (0.4–1 s, 0.8–2 s, …) so a blip costs
 * seconds; after about a minute the delay reaches the cap, 14.4–36 s by default. The cap is
 * set by the crowd, not by one viewer: when an origin comes back, the share of waiting
 * players that return in any one second is about 1 / (mean delay), so a 25 s mean keeps
 * each second near 4 % of the returns, and the wide jitter mixes a crowd that failed at the
 * same instant within a few retries. A waiting player costs under one request per 10 s.
 * `npm run crowd` measures both for 100 000 players (bench/crowd).
 * A server's Retry-After is honoured: never earlier, and spread over up to as much again (at
 * most the cap), since a crowd that got the same Retry-After at the same moment must not
 * come back in the same second. There is no give-up: a live event may start late,
 * so the player keeps probing at the capped rate until the viewer leaves.
 */

/** Defaults: `retryBaseMs` and `retryCapMs` in ./thresholds.ts. */
export interface BackoffPolicy {
  /** Delay of attempt 0 before jitter. */
  baseMs: number;
  /** Upper bound of the delay before jitter (and so of the delay itself, Retry-After aside). */
  capMs: number;
  /** Uniform in [0, 1); injected so tests and simulations are deterministic. */
  random: () => number;
}

/** Lower bound of the jitter factor: 40 % of the window is guaranteed to pass. */
const JITTER_FLOOR = 0.4;

/**
 * How long to wait before probing again after `attempt` failed rounds (0-based), in whole
 * milliseconds. `retryAfterMs` (the largest Retry-After the servers sent, if any) is a floor.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  const { baseMs, capMs, random } = policy;
  const k = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^k overflows to Infinity for huge k; Math.min keeps that harmless.
  const window = Math.max(0, Math.min(capMs, baseMs * 2 ** k));
  // Clamp so a sloppy random source (returning 1, or NaN) cannot escape [0, 1).
  const r = random();
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  const jittered = Math.floor(window * (JITTER_FLOOR + (1 - JITTER_FLOOR) * u));
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return jittered;
  const floor = Math.ceil(retryAfterMs);
  const spread = Math.floor(u * Math.min(floor, Math.max(0, capMs)));
  return Math.max(jittered, floor + spread);
}
