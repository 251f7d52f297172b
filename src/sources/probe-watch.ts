/**
 * Watches a source that has no playlist to poll (WHEP) by probing it.
 * Policy: while live, one probe every `liveEveryMs` (each probe opens and closes a session);
 * while down, jittered exponential backoff from `backoffBaseMs` to `backoffCapMs`, Retry-After
 * honoured. Reports LIVE or DOWN after every probe, ENDED once on a `stopped` verdict (then
 * stops). Runs until the signal aborts.
 */
import { backoffDelay } from '../policy/backoff.js';
import type { ProbeVerdict } from '../machine/types.js';
import { sleep } from './http.js';
import type { PlaylistWatchCallbacks } from './playlist-watch.js';

export interface ProbeWatchOptions {
  signal: AbortSignal;
  liveEveryMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  random?: () => number;
}

export async function watchByProbing(
  probe: (signal: AbortSignal) => Promise<ProbeVerdict>,
  callbacks: PlaylistWatchCallbacks,
  options: ProbeWatchOptions,
): Promise<void> {
  const { signal } = options;
  const backoff = { baseMs: options.backoffBaseMs, capMs: options.backoffCapMs, random: options.random ?? Math.random };
  let failures = 0;
  try {
    while (!signal.aborted) {
      const verdict = await probe(signal);
      if (signal.aborted) return;
      let delayMs = options.liveEveryMs;
      if (verdict.status === 'live') {
        failures = 0;
        callbacks.onLive();
      } else if (verdict.status === 'stopped') {
        callbacks.onEnded(verdict.cause);
        return;
      } else {
        delayMs = backoffDelay(failures, backoff, verdict.retryAfterMs);
        failures += 1;
        callbacks.onDown(verdict.cause);
      }
      await sleep(delayMs, signal);
    }
  } catch {
    // Aborted while sleeping: the watcher was stopped.
  }
}
