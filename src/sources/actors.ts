/**
 * The machine's effects, built from the engines, probes and watchers of this folder and
 * handed to the machine with `playerMachine.provide({ actors })`. Each actor owns what it
 * starts: stopping the actor (leaving its state) aborts its requests, destroys its engine
 * and closes its WHEP sessions.
 */
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import type { PlayInput, ProbeInput, ProbeVerdict, SourceDescriptor, SourceEvent, SourceRole, WatchInput } from '../machine/types.js';
import type { Engine, SourceCredentials } from './engine.js';
import { probeHls } from './hls-probe.js';
import { loaderFor } from './loaders.js';
import { watchByProbing } from './probe-watch.js';
import { watchPlaylist, type PlaylistWatchCallbacks } from './playlist-watch.js';
import { limitsFor, type HealthThresholds } from './thresholds.js';
import { STATUS_POLL_MS } from './status-endpoint.js';
import { probeWhep } from './whep-probe.js';

/** How often a live WHEP source that is not on screen is probed again. */
const WHEP_WATCH_EVERY_MS = 5000;

export interface SourceActorEnvironment {
  /** The <video> that shows this role's source, once rendered. */
  videoFor(role: SourceRole): Promise<HTMLVideoElement>;
  thresholds(): HealthThresholds;
  credentialsFor(role: SourceRole): SourceCredentials;
  onAutoplayMuted(): void;
}

export function createSourceActors(environment: SourceActorEnvironment) {
  const probeOnce = (role: SourceRole, source: SourceDescriptor, confirmAdvance: boolean, signal: AbortSignal) => {
    const thresholds = environment.thresholds();
    if (source.kind === 'whep') {
      return probeWhep(source.url, {
        token: environment.credentialsFor(role).token,
        timeoutMs: limitsFor(thresholds, undefined).requestTimeoutMs,
        statusUrl: source.statusUrl,
        signal,
      });
    }
    return probeHls(source.url, { confirmAdvance, thresholds, signal });
  };

  const probe = fromPromise<ProbeVerdict, ProbeInput>(({ input, signal }) =>
    probeOnce(input.role, input.source, input.confirmAdvance, signal),
  );

  const play = fromCallback<EventObject, PlayInput>(({ input, sendBack }) => {
    let engine: Engine | null = null;
    let stopped = false;
    const send = (event: SourceEvent) => {
      if (!stopped) sendBack(event);
    };
    void (async () => {
      try {
        const video = await environment.videoFor(input.role);
        const loader = loaderFor(input.source, video);
        if (!loader) throw new Error(`no engine can play this ${input.source.kind} source here`);
        const factory = await loader.load();
        if (stopped) return;
        const thresholds = environment.thresholds();
        engine = factory({
          video,
          role: input.role,
          source: input.source,
          thresholds,
          limits: limitsFor(thresholds, input.targetDurationMs),
          credentials: environment.credentialsFor(input.role),
          send,
          onAutoplayMuted: environment.onAutoplayMuted,
        });
      } catch (error) {
        send({ type: 'SOURCE.FAILED', role: input.role, cause: `engine did not start: ${(error as Error).message}` });
      }
    })();
    return () => {
      stopped = true;
      engine?.destroy();
    };
  });

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
      void watchByProbing((signal) => probeOnce(role, source, true, signal), callbacks, {
        signal: watching.signal,
        liveEveryMs: source.statusUrl ? STATUS_POLL_MS : WHEP_WATCH_EVERY_MS,
        ...pacing,
      });
    } else {
      void watchPlaylist(source.url, callbacks, { thresholds, signal: watching.signal, ...pacing });
    }
    return () => watching.abort();
  });

  return { probe, play, watch };
}
