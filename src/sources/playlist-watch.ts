/**
 * Watches an HLS playlist that is not (or not only) played by hls.js: the primary while
 * the fallback is on screen, and the stream under native HLS playback.
 * Policy: while the playlist loads (advancing or frozen), one request per target duration;
 * while it does not load, jittered exponential backoff from 1 s up to 14–36 s (src/policy/backoff.ts; Retry-After honoured), so a
 * crowd of viewers does not poll a recovering origin in lockstep. Reports LIVE only when a
 * newer segment appears, DOWN on every failed or frozen look, ENDED once on #EXT-X-ENDLIST
 * (and then stops). Runs until the signal aborts.
 */
import { backoffDelay } from '../policy/backoff.js';
import { sleep } from './http.js';
import { loadMediaPlaylist } from './hls-probe.js';
import { hasAdvanced, hasRestarted, type MediaPlaylistInfo } from './playlist.js';
import { limitsFor, type HealthThresholds } from '../policy/thresholds.js';

export interface PlaylistWatchCallbacks {
  onLive(): void;
  onDown(cause: string): void;
  onEnded(cause: string): void;
}

export interface PlaylistWatchOptions {
  thresholds: HealthThresholds;
  signal: AbortSignal;
  random?: () => number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export async function watchPlaylist(url: string, callbacks: PlaylistWatchCallbacks, options: PlaylistWatchOptions): Promise<void> {
  const { thresholds, signal } = options;
  const backoff = {
    baseMs: options.backoffBaseMs ?? thresholds.retryBaseMs,
    capMs: options.backoffCapMs ?? thresholds.retryCapMs,
    random: options.random ?? Math.random,
  };
  let limits = limitsFor(thresholds, undefined);
  let previous: MediaPlaylistInfo | null = null;
  let lastAdvanceAt = performance.now();
  let failures = 0;

  try {
    while (!signal.aborted) {
      const loaded = await loadMediaPlaylist(url, limits.requestTimeoutMs, signal);
      if (signal.aborted) return;
      let delayMs: number;
      if (!loaded.ok) {
        previous = null;
        const retryAfterMs = loaded.verdict.status === 'not-live' ? loaded.verdict.retryAfterMs : undefined;
        delayMs = backoffDelay(failures, backoff, retryAfterMs);
        failures += 1;
        callbacks.onDown(loaded.verdict.status === 'not-live' ? loaded.verdict.cause : 'unavailable');
      } else if (loaded.info.endList) {
        callbacks.onEnded('playlist has #EXT-X-ENDLIST');
        return;
      } else {
        failures = 0;
        limits = limitsFor(thresholds, loaded.info.targetDurationMs);
        delayMs = limits.targetDurationMs;
        const now = performance.now();
        if (!previous || hasRestarted(previous, loaded.info)) {
          // A first look, or a restarted stream: the next look can tell whether it advances.
          previous = loaded.info;
          lastAdvanceAt = now;
        } else if (hasAdvanced(previous, loaded.info)) {
          callbacks.onLive();
          previous = loaded.info;
          lastAdvanceAt = now;
        } else if (now - lastAdvanceAt > limits.frozenPlaylistMs) {
          callbacks.onDown('playlist not advancing');
        }
      }
      await sleep(delayMs, signal);
    }
  } catch {
    // Aborted while sleeping: the watcher was stopped.
  }
}
