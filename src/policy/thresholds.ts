/**
 * Every policy number of the player in one table: failure detection, retry pacing, the
 * hysteresis window and the crowd spread. The machine (src/machine) and the sources
 * (src/sources) both read them from here; the element merges the page's `thresholds`
 * property over them.
 *
 * Policy: hls.js alone needs 3–32 s to give up on a dead origin and never gives up on a
 * frozen playlist or hung segment requests, so the player judges a source itself. Every
 * detection threshold scales with the stream's target duration, so a 1 s and a 6 s stream
 * are judged alike; the floors keep tiny target durations from causing false alarms.
 */

export interface HealthThresholds {
  /** A live playlist that has not advanced for this many target durations has failed. */
  frozenPlaylistTargetDurations: number;
  /** Playback not advancing (while playing a live stream) for this many target durations has failed. */
  stallTargetDurations: number;
  /** Floor of the stall limit, in ms. */
  minStallMs: number;
  /** No first frame this long after playback starts: failed. */
  startupTimeoutMs: number;
  /** Time to first byte and to complete load of one request, in target durations (floor 1 s). */
  requestTimeoutTargetDurations: number;
  /** Retries of one failed request before the source counts as failed. */
  requestRetries: number;
  /** Delay before that retry, in ms. */
  retryDelayMs: number;
  /** Target duration assumed before a playlist has been read, in ms. */
  assumedTargetDurationMs: number;
  /** WebRTC: no new decoded video frame for this long while connected has failed, in ms. */
  frameStallMs: number;
  /** WebRTC: a connection `disconnected` for this long has failed, in ms. */
  disconnectedGraceMs: number;
  /** WebRTC: no first frame this long after the session is answered has failed, in ms. */
  whepStartupTimeoutMs: number;
  /** First retry delay while nothing is live, in ms (doubles per attempt, jittered). */
  retryBaseMs: number;
  /** Longest retry delay while nothing is live, in ms (each delay is drawn from 40–100 % of it); sized for a crowd: see src/policy/backoff.ts. */
  retryCapMs: number;
  /** The hysteresis window, in ms: with `prefer-primary`, how long a recovered primary must stay healthy (with a frame ready) before the player returns to it; also how long an endpoint this viewer could not reach (ICE) is left alone at least. */
  preferPrimaryAfterMs: number;
  /** A WebRTC endpoint's own failure (its server or path, seen by every viewer at once) moves the player to the next endpoint after a random 0 to this many ms, so a crowd does not land on it in one second. */
  failoverSpreadMs: number;
  /** When the viewer's network comes back, the player retries after a random 0 to this many ms (a viewer's reconnect is not a crowd event, but many viewers share a network). */
  reconnectJitterMs: number;
}

export const DEFAULT_THRESHOLDS: Readonly<HealthThresholds> = Object.freeze({
  frozenPlaylistTargetDurations: 3,
  stallTargetDurations: 2,
  minStallMs: 1500,
  startupTimeoutMs: 10000,
  requestTimeoutTargetDurations: 2,
  requestRetries: 1,
  retryDelayMs: 300,
  assumedTargetDurationMs: 6000,
  frameStallMs: 1000,
  disconnectedGraceMs: 2000,
  whepStartupTimeoutMs: 5000,
  retryBaseMs: 1000,
  retryCapMs: 36000,
  preferPrimaryAfterMs: 15000,
  failoverSpreadMs: 3000,
  reconnectJitterMs: 500,
});

/** How often a playing or watched WHEP primary's status endpoint is asked, in ms. */
export const STATUS_POLL_MS = 2000;

/** How often a live WHEP endpoint that is not on screen is probed again, in ms. */
export const WHEP_WATCH_EVERY_MS = 5000;

/** A ladder's probe asks its next endpoint after this long when the one before has not answered yet, in ms (src/machine/ladder.ts). */
export const LADDER_HEAD_START_MS = 1000;

/** Counts and delays that may be zero (no retry, retry at once, no spread); every other value must be positive. */
const ZERO_ALLOWED: ReadonlySet<keyof HealthThresholds> = new Set([
  'requestRetries',
  'retryDelayMs',
  'failoverSpreadMs',
  'reconnectJitterMs',
]);

/** Merges user overrides, ignoring anything that is not a usable finite number. */
export function resolveThresholds(overrides?: Partial<HealthThresholds> | null): HealthThresholds {
  const merged: HealthThresholds = { ...DEFAULT_THRESHOLDS };
  if (!overrides) return merged;
  for (const key of Object.keys(DEFAULT_THRESHOLDS) as (keyof HealthThresholds)[]) {
    const value = overrides[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    if (value > 0 || (value === 0 && ZERO_ALLOWED.has(key))) merged[key] = value;
  }
  return merged;
}

/** The limits for one stream, in ms, from its target duration. */
export function limitsFor(thresholds: HealthThresholds, targetDurationMs: number | undefined) {
  const target = targetDurationMs && targetDurationMs > 0 ? targetDurationMs : thresholds.assumedTargetDurationMs;
  return {
    targetDurationMs: target,
    frozenPlaylistMs: thresholds.frozenPlaylistTargetDurations * target,
    stallMs: Math.max(thresholds.minStallMs, thresholds.stallTargetDurations * target),
    requestTimeoutMs: Math.max(1000, thresholds.requestTimeoutTargetDurations * target),
    startupTimeoutMs: thresholds.startupTimeoutMs,
  };
}
export type StreamLimits = ReturnType<typeof limitsFor>;
