/**
 * The machine's effects, built from the engines, probes and watchers of this folder and
 * handed to the machine with `playerMachine.provide({ actors })`. Each actor owns what it
 * starts: stopping the actor (leaving its state) aborts its requests and destroys its engine.
 */
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import type { PlayInput, ProbeInput, ProbeVerdict, SourceEvent, WatchInput } from '../machine/types.js';
import type { Engine } from './engine.js';
import { probeHls } from './hls-probe.js';
import { loaderFor } from './loaders.js';
import { watchPlaylist } from './playlist-watch.js';
import { limitsFor, type HealthThresholds } from './thresholds.js';

export interface SourceActorEnvironment {
  /** The <video> that shows this role's source, once rendered. */
  videoFor(role: PlayInput['role']): Promise<HTMLVideoElement>;
  thresholds(): HealthThresholds;
  onAutoplayMuted(): void;
}

function unsupported(kind: string): ProbeVerdict {
  return { status: 'not-live', cause: `no engine for ${kind} sources` };
}

export function createSourceActors(environment: SourceActorEnvironment) {
  const probe = fromPromise<ProbeVerdict, ProbeInput>(async ({ input, signal }) => {
    if (input.source.kind !== 'hls') return unsupported(input.source.kind);
    return probeHls(input.source.url, {
      confirmAdvance: input.confirmAdvance,
      thresholds: environment.thresholds(),
      signal,
    });
  });

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
    const { role } = input;
    if (input.source.kind === 'hls') {
      void watchPlaylist(
        input.source.url,
        {
          onLive: () => sendBack({ type: 'SOURCE.LIVE', role } satisfies SourceEvent),
          onDown: (cause) => sendBack({ type: 'SOURCE.DOWN', role, cause } satisfies SourceEvent),
          onEnded: (cause) => sendBack({ type: 'SOURCE.STOPPED', role, cause } satisfies SourceEvent),
        },
        {
          thresholds: environment.thresholds(),
          signal: watching.signal,
          backoffBaseMs: environment.thresholds().retryBaseMs,
          backoffCapMs: environment.thresholds().retryCapMs,
        },
      );
    }
    return () => watching.abort();
  });

  return { probe, play, watch };
}
