/**
 * The machine's effects, built from the engines, probes and watchers of this folder and
 * handed to the machine with `playerMachine.provide({ actors })`. Probes and watchers own
 * what they start: stopping the actor aborts its requests and closes its WHEP sessions.
 * Engines belong to the pool (engine-pool.ts): `play` and `warm` only lease them, so a warm
 * standby becomes the played endpoint without reconnecting and the old endpoint keeps its
 * picture until the new one has a frame.
 * Policy: a probe of a ladder asks its endpoints in ladder order, each after the one before
 * is out or after a head start, and stops asking as soon as the ladder rule can decide
 * (src/machine/ladder.ts); a watcher watches each endpoint on its own pacing
 * (playlist-watch.ts, probe-watch.ts).
 */
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import { probeLadder } from '../machine/ladder.js';
import type { LadderStep, PlayInput, ProbeInput, ProbeVerdict, SourceEvent, StreamVerdict, WatchInput } from '../machine/types.js';
import { LADDER_HEAD_START_MS, limitsFor, STATUS_POLL_MS, WHEP_WATCH_EVERY_MS } from '../policy/thresholds.js';
import { EnginePool, type EnginePoolEnvironment } from './engine-pool.js';
import type { PlaylistWatchCallbacks } from './playlist-watch.js';

export type SourceActorEnvironment = EnginePoolEnvironment;

export function createSourceActors(environment: SourceActorEnvironment) {
  // Protocol code is loaded on first use (dynamic imports): a page fetches only its protocols' code.
  const probeOnce = async (step: LadderStep, confirmAdvance: boolean, signal: AbortSignal): Promise<ProbeVerdict> => {
    const thresholds = environment.thresholds();
    const { source } = step;
    if (source.kind === 'whep') {
      const { probeWhep } = await import('./whep-probe.js');
      return probeWhep(source.url, {
        token: environment.credentialsFor(step).token,
        timeoutMs: limitsFor(thresholds, undefined).requestTimeoutMs,
        statusUrl: source.statusUrl,
        signal,
      });
    }
    const { probeHls } = await import('./hls-probe.js');
    return probeHls(source.url, { confirmAdvance, thresholds, signal });
  };

  const probe = fromPromise<StreamVerdict, ProbeInput>(
    ({ input, signal }) =>
      new Promise<StreamVerdict>((resolve) => {
        // One controller for the endpoints' probes: once the ladder is decided, the rest stop.
        const asking = new AbortController();
        const stopAsking = () => {
          ladder.cancel();
          asking.abort();
        };
        signal.addEventListener('abort', stopAsking, { once: true });
        const ladder = probeLadder(input.role, input.steps.length, LADDER_HEAD_START_MS, {
          ask: (position) =>
            void probeOnce(input.steps[position]!, input.confirmAdvance, asking.signal)
              .catch((error: unknown): ProbeVerdict => ({ status: 'not-live', cause: String(error) }))
              .then((answer) => ladder.answer(position, answer)),
          schedule: (fn, ms) => {
            const timer = setTimeout(fn, ms);
            return () => clearTimeout(timer);
          },
          decide: (verdict) => {
            signal.removeEventListener('abort', stopAsking);
            asking.abort();
            resolve({ ...verdict, index: input.steps[verdict.index]?.index ?? verdict.index });
          },
        });
      }),
  );

  const pool = new EnginePool(environment);

  /** Plays an endpoint on screen (the machine decides which one is on screen). */
  const play = fromCallback<EventObject, PlayInput>(({ input, sendBack }) =>
    pool.lease(input, input.targetDurationMs, (event) => sendBack(event)),
  );

  /**
   * Keeps an endpoint ready in its hidden video (make before break, warm standby). Its first
   * frame is reported as READY; a failure or stop as it is (the machine knows whose stop counts).
   */
  const warm = fromCallback<EventObject, PlayInput>(({ input, sendBack }) =>
    pool.lease(input, input.targetDurationMs, (event) => {
      if (event.type === 'SOURCE.FIRST_FRAME')
        sendBack({ type: 'SOURCE.READY', role: event.role, index: event.index } satisfies SourceEvent);
      else if (event.type === 'SOURCE.FAILED' || event.type === 'SOURCE.STOPPED') sendBack(event);
    }),
  );

  /** Watches each endpoint it is given, each on its own pacing. */
  const watch = fromCallback<EventObject, WatchInput>(({ input, sendBack }) => {
    const watching = new AbortController();
    const thresholds = environment.thresholds();
    const pacing = { backoffBaseMs: thresholds.retryBaseMs, backoffCapMs: thresholds.retryCapMs };
    for (const step of input.steps) {
      const endpoint = { role: step.role, index: step.index };
      const callbacks: PlaylistWatchCallbacks = {
        onLive: () => sendBack({ type: 'SOURCE.LIVE', ...endpoint } satisfies SourceEvent),
        onDown: (cause) => sendBack({ type: 'SOURCE.DOWN', cause, ...endpoint } satisfies SourceEvent),
        onEnded: (cause) => sendBack({ type: 'SOURCE.STOPPED', cause, ...endpoint } satisfies SourceEvent),
      };
      if (step.source.kind === 'whep') {
        // A status endpoint is cheap to ask (no session): ask it often, to catch a stop soon.
        void import('./probe-watch.js').then(({ watchByProbing }) =>
          watchByProbing((signal) => probeOnce(step, true, signal), callbacks, {
            signal: watching.signal,
            liveEveryMs: step.source.statusUrl ? STATUS_POLL_MS : WHEP_WATCH_EVERY_MS,
            ...pacing,
          }),
        );
      } else {
        void import('./playlist-watch.js').then(({ watchPlaylist }) =>
          watchPlaylist(step.source.url, callbacks, { thresholds, signal: watching.signal, ...pacing }),
        );
      }
    }
    return () => watching.abort();
  });

  return { actors: { probe, play, warm, watch }, pool };
}
