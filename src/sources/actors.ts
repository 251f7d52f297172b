/**
 * The machine's effects, built from the engines, probes and watchers of this folder and
 * handed to the machine with `playerMachine.provide({ actors })`. Probes and watchers own
 * what they start: stopping the actor aborts its requests and closes its WHEP sessions.
 * Engines belong to the pool (engine-pool.ts): `play` and `warm` only lease them, so a warm
 * standby becomes the played source without reconnecting and the old source keeps its
 * picture until the new one has a frame.
 */
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import type { PlayInput, ProbeInput, ProbeVerdict, SourceDescriptor, SourceEvent, SourceRole, WatchInput } from '../machine/types.js';
import { EnginePool, type EnginePoolEnvironment } from './engine-pool.js';
import type { PlaylistWatchCallbacks } from './playlist-watch.js';
import { limitsFor, STATUS_POLL_MS } from './thresholds.js';

/** How often a live WHEP source that is not on screen is probed again. */
const WHEP_WATCH_EVERY_MS = 5000;

export type SourceActorEnvironment = EnginePoolEnvironment;

export function createSourceActors(environment: SourceActorEnvironment) {
  // Protocol code is loaded on first use (dynamic imports): a page fetches only its protocols' code.
  const probeOnce = async (role: SourceRole, source: SourceDescriptor, confirmAdvance: boolean, signal: AbortSignal) => {
    const thresholds = environment.thresholds();
    if (source.kind === 'whep') {
      const { probeWhep } = await import('./whep-probe.js');
      return probeWhep(source.url, {
        token: environment.credentialsFor(role).token,
        timeoutMs: limitsFor(thresholds, undefined).requestTimeoutMs,
        statusUrl: source.statusUrl,
        signal,
      });
    }
    const { probeHls } = await import('./hls-probe.js');
    return probeHls(source.url, { confirmAdvance, thresholds, signal });
  };

  const probe = fromPromise<ProbeVerdict, ProbeInput>(({ input, signal }) =>
    probeOnce(input.role, input.source, input.confirmAdvance, signal),
  );

  const pool = new EnginePool(environment);

  /** Plays a source on screen (the machine decides which one is on screen). */
  const play = fromCallback<EventObject, PlayInput>(({ input, sendBack }) =>
    pool.lease(input.role, input.source, input.targetDurationMs, (event) => sendBack(event)),
  );

  /**
   * Keeps a source ready in its hidden video (make before break, warm standby). Its first
   * frame is reported as READY; its failure as FAILED, so the machine stops counting on it.
   */
  const warm = fromCallback<EventObject, PlayInput>(({ input, sendBack }) =>
    pool.lease(input.role, input.source, input.targetDurationMs, (event) => {
      if (event.type === 'SOURCE.FIRST_FRAME') sendBack({ type: 'SOURCE.READY', role: event.role } satisfies SourceEvent);
      else if (event.type === 'SOURCE.FAILED') sendBack(event);
      // Only the primary's stop is a stop; an ended fallback is just a failed fallback.
      else if (event.type === 'SOURCE.STOPPED') {
        sendBack(event.role === 'primary' ? event : ({ type: 'SOURCE.FAILED', role: event.role, cause: event.cause } satisfies SourceEvent));
      }
    }),
  );

  const watch = fromCallback<EventObject, WatchInput>(({ input, sendBack }) => {
    const watching = new AbortController();
    const { role, source } = input;
    const thresholds = environment.thresholds();
    const callbacks: PlaylistWatchCallbacks = {
      onLive: () => sendBack({ type: 'SOURCE.LIVE', role } satisfies SourceEvent),
      onDown: (cause) => sendBack({ type: 'SOURCE.DOWN', role, cause } satisfies SourceEvent),
      onEnded: (cause) => sendBack({ type: 'SOURCE.STOPPED', role, cause } satisfies SourceEvent),
    };
    const pacing = { backoffBaseMs: thresholds.retryBaseMs, backoffCapMs: thresholds.retryCapMs };
    if (source.kind === 'whep') {
      // A status endpoint is cheap to ask (no session): ask it often, to catch a stop soon.
      void import('./probe-watch.js').then(({ watchByProbing }) =>
        watchByProbing((signal) => probeOnce(role, source, true, signal), callbacks, {
          signal: watching.signal,
          liveEveryMs: source.statusUrl ? STATUS_POLL_MS : WHEP_WATCH_EVERY_MS,
          ...pacing,
        }),
      );
    } else {
      void import('./playlist-watch.js').then(({ watchPlaylist }) =>
        watchPlaylist(source.url, callbacks, { thresholds, signal: watching.signal, ...pacing }),
      );
    }
    return () => watching.abort();
  });

  return { actors: { probe, play, warm, watch }, pool };
}
