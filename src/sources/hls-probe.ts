/**
 * HLS probe: is this stream live right now? Policy: one playlist request (two when a
 * master playlist points at a media playlist), each with a deadline of two target
 * durations. Live means: it loads, it is a media playlist without #EXT-X-ENDLIST and, when
 * `confirmAdvance` is asked, a newer segment appears within 1.5 target durations (polled
 * every half target duration). #EXT-X-ENDLIST is reported as `stopped`. Never retries:
 * the caller's backoff decides when to ask again.
 */
import type { ProbeVerdict } from '../machine/types.js';
import { fetchText, sleep } from './http.js';
import { hasAdvanced, parsePlaylist, type MediaPlaylistInfo } from './playlist.js';
import { limitsFor, type HealthThresholds } from '../policy/thresholds.js';

export interface HlsProbeOptions {
  confirmAdvance: boolean;
  thresholds: HealthThresholds;
  signal?: AbortSignal;
}

type Loaded = { ok: true; info: MediaPlaylistInfo; url: string } | { ok: false; verdict: ProbeVerdict };

/** Loads a playlist, following a master playlist to its first variant. */
export async function loadMediaPlaylist(url: string, timeoutMs: number, signal?: AbortSignal): Promise<Loaded> {
  let target = url;
  for (let hop = 0; hop < 2; hop += 1) {
    const outcome = await fetchText(target, timeoutMs, signal);
    if (!outcome.ok) {
      return {
        ok: false,
        verdict: {
          status: 'not-live',
          cause: `playlist ${outcome.cause}`,
          ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
          ...(outcome.network ? { network: true } : {}),
        },
      };
    }
    let info;
    try {
      info = parsePlaylist(outcome.text, outcome.url);
    } catch (error) {
      return { ok: false, verdict: { status: 'not-live', cause: (error as Error).message } };
    }
    if (info.type === 'media') return { ok: true, info, url: target };
    if (!info.variants[0]) break;
    target = info.variants[0];
  }
  return { ok: false, verdict: { status: 'not-live', cause: 'master playlist without a usable variant' } };
}

export async function probeHls(url: string, options: HlsProbeOptions): Promise<ProbeVerdict> {
  const { thresholds, signal } = options;
  const initialLimits = limitsFor(thresholds, undefined);
  const first = await loadMediaPlaylist(url, initialLimits.requestTimeoutMs, signal);
  if (!first.ok) return first.verdict;
  if (first.info.endList) return { status: 'stopped', cause: 'playlist has #EXT-X-ENDLIST' };

  const limits = limitsFor(thresholds, first.info.targetDurationMs);
  const live: ProbeVerdict = { status: 'live', targetDurationMs: first.info.targetDurationMs };
  if (!options.confirmAdvance) return live;

  const deadline = Date.now() + 1.5 * limits.targetDurationMs;
  const pollEvery = limits.targetDurationMs / 2;
  while (Date.now() < deadline) {
    await sleep(pollEvery, signal);
    const next = await loadMediaPlaylist(first.url, limits.requestTimeoutMs, signal);
    if (!next.ok) return next.verdict;
    if (next.info.endList) return { status: 'stopped', cause: 'playlist has #EXT-X-ENDLIST' };
    if (hasAdvanced(first.info, next.info)) return live;
  }
  return { status: 'not-live', cause: 'playlist is not advancing' };
}
