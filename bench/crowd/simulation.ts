/**
 * A crowd of players against one origin, with simulated time: each player is the real
 * failover machine (src/machine) with the element's default timing, driven by fake probe and
 * play actors that ask a scripted origin. Players are independent (the origin's answers do
 * not depend on its load), so they run in batches that share one EventClock, and only
 * per-second counts are kept: 100 000 players fit in memory and run in seconds.
 *
 * What a request is (per player, against the origin that serves the primary):
 * - probe: one playlist GET; a probe that must see the stream advance makes a second GET
 *   one target duration later (only when the first one found it live);
 * - return: the first playback request after a probe found the stream live (manifest);
 * - playback: while playing, one playlist and one segment per target duration, counted
 *   per second from the playing interval (not part of the return share).
 */
import { createActor, fromCallback, fromPromise, type EventObject } from 'xstate';
import { playerMachine } from '../../src/machine/index.js';
import type { PlayInput, ProbeInput, ProbeVerdict, SourceEvent, StreamVerdict } from '../../src/machine/types.js';
import { DEFAULT_THRESHOLDS } from '../../src/policy/thresholds.js';
import { EventClock } from './event-clock.js';

/** What the origin answers while it is down. */
export interface DownAnswer {
  status: 404 | 503;
  /** Sent with 503 as Retry-After. */
  retryAfterMs?: number;
}

export interface Scenario {
  name: string;
  players: number;
  /** Players open the page at a uniformly random time in [0, joinSpreadMs). */
  joinSpreadMs: number;
  /** The primary's origin is down in [downFromMs, upAgainAtMs). */
  downFromMs: number;
  upAgainAtMs: number;
  down: DownAnswer;
  /** A fallback on another origin, down for the whole run (its requests are not the origin's). */
  fallbackDown: boolean;
  /** Simulated run length. */
  endMs: number;
  targetDurationMs: number;
  seed: number;
}

export interface CrowdResult {
  scenario: Scenario;
  seconds: number;
  /** Requests per simulated second against the primary's origin, by kind. */
  probes: Int32Array;
  returns: Int32Array;
  playback: Int32Array;
  /** Requests each player sent to the fallback's origin (probes), per second. */
  fallbackProbes: Int32Array;
  /** Per player: time from the origin's recovery to its return request (ms), or -1. */
  returnDelays: Float64Array;
  /** Requests sent by players while in prelive, per origin, and the time they spent there. */
  preliveRequests: { primary: number; fallback: number };
  preliveMs: number;
  /**
   * The same for idle players only: prelive time and requests after a player's first
   * IDLE_AFTER_MS in prelive (the fast retries right after a failure are not idling) and
   * before the origin's recovery (from then on its requests are return requests).
   */
  idleRequests: { primary: number; fallback: number };
  idleMs: number;
  /** Requests sent before the Retry-After of an earlier answer had passed. */
  retryAfterViolations: number;
  /** Players that never came back before `endMs`. */
  stranded: number;
}

/** mulberry32: small, fast, deterministic. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lets the promise reactions of settled probes run (they are a few microtasks deep). */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 12; i += 1) await undefined;
}

const PRIMARY = { url: 'https://origin.example/live/primary.m3u8', kind: 'hls' as const };
const FALLBACK = { url: 'https://backup.example/live/fallback.m3u8', kind: 'hls' as const };
const PROBE_LATENCY_MS = 40;
const FIRST_FRAME_MS = 400;
/** A player counts as idle once it has been in prelive this long. */
export const IDLE_AFTER_MS = 60_000;

/**
 * Simulates players [from, to) of the scenario (each player's randomness depends only on
 * the seed and its index, so slices run in parallel workers add up to the whole crowd).
 */
export async function simulateCrowd(
  scenario: Scenario,
  from = 0,
  to = scenario.players,
  batchSize = 5000,
): Promise<CrowdResult> {
  const seconds = Math.ceil(scenario.endMs / 1000) + 1;
  const result: CrowdResult = {
    scenario,
    seconds,
    probes: new Int32Array(seconds),
    returns: new Int32Array(seconds),
    playback: new Int32Array(seconds),
    fallbackProbes: new Int32Array(seconds),
    returnDelays: new Float64Array(scenario.players).fill(-1),
    preliveRequests: { primary: 0, fallback: 0 },
    preliveMs: 0,
    idleRequests: { primary: 0, fallback: 0 },
    idleMs: 0,
    retryAfterViolations: 0,
    stranded: 0,
  };
  for (let first = from; first < to; first += batchSize) {
    await runBatch(scenario, result, first, Math.min(batchSize, to - first));
  }
  return result;
}

async function runBatch(
  scenario: Scenario,
  result: CrowdResult,
  first: number,
  count: number,
): Promise<void> {
  const clock = new EventClock();
  const isDown = (t: number) => t >= scenario.downFromMs && t < scenario.upAgainAtMs;
  const second = (t: number) => Math.min(result.seconds - 1, Math.floor(t / 1000));

  interface PlayerLog {
    index: number;
    /** Earliest time the next request to each origin may go out, from its last Retry-After. */
    notBefore: { primary: number; fallback: number };
    preliveSince: number | null;
    playingSince: number | null;
    /** A request of this player found the primary's origin down. */
    sawOutage: boolean;
  }

  const addPlayback = (from: number, to: number) => {
    // One playlist + one segment per target duration, spread evenly.
    const perSecond = (2 * 1000) / scenario.targetDurationMs;
    for (let t = Math.floor(from / 1000); t * 1000 < to && t < result.seconds; t += 1) {
      const start = Math.max(from, t * 1000);
      const end = Math.min(to, (t + 1) * 1000);
      result.playback[t] += Math.round((perSecond * (end - start)) / 1000);
    }
  };

  /** One GET to an origin: counts it, checks Retry-After, answers what the origin says now. */
  const request = (log: PlayerLog, role: 'primary' | 'fallback', kind: 'probe' | 'return'): ProbeVerdict => {
    const now = clock.now();
    if (now < log.notBefore[role]) result.retryAfterViolations += 1;
    if (log.preliveSince !== null) {
      result.preliveRequests[role] += 1;
      if (now - log.preliveSince >= IDLE_AFTER_MS && now < scenario.upAgainAtMs) result.idleRequests[role] += 1;
    }
    if (role === 'fallback') {
      result.fallbackProbes[second(now)] += 1;
      return { status: 'not-live', cause: 'fallback playlist HTTP 404' };
    }
    if (kind === 'probe') result.probes[second(now)] += 1;
    // The first start of each player is not a return; only starts after an outage are.
    else if (log.sawOutage) result.returns[second(now)] += 1;
    if (!isDown(now)) return { status: 'live', targetDurationMs: scenario.targetDurationMs };
    log.sawOutage = true;
    const { status, retryAfterMs } = scenario.down;
    if (retryAfterMs !== undefined) log.notBefore.primary = now + retryAfterMs;
    return retryAfterMs !== undefined
      ? { status: 'not-live', cause: `playlist HTTP ${status}`, retryAfterMs }
      : { status: 'not-live', cause: `playlist HTTP ${status}` };
  };

  const leavePrelive = (log: PlayerLog, now: number) => {
    const spent = now - (log.preliveSince ?? now);
    result.preliveMs += spent;
    // Idle: waiting for a stream that is not there, once the first minute is over.
    const idleFrom = (log.preliveSince ?? now) + IDLE_AFTER_MS;
    result.idleMs += Math.max(0, Math.min(now, scenario.upAgainAtMs) - idleFrom);
    log.preliveSince = null;
  };

  const actors: Array<{ stop(): void }> = [];
  const logs: PlayerLog[] = [];
  // One machine for the batch (providing actors builds a new machine, which is costly):
  // the fake actors find their player through the actor system they run in.
  const logOf = new WeakMap<object, PlayerLog>();
  const detectMsOf = new WeakMap<PlayerLog, number>();

  const machine = playerMachine.provide({
    actors: {
      // One endpoint per stream here: a probe's verdict is its first step's.
      probe: fromPromise<StreamVerdict, ProbeInput>(
        ({ input, signal, system }) =>
          new Promise<StreamVerdict>((resolve) => {
            const log = logOf.get(system)!;
            const timers: unknown[] = [];
            signal.addEventListener('abort', () => timers.forEach((id) => clock.clearTimeout(id)));
            const index = input.steps[0]?.index ?? 0;
            const firstAnswer = request(log, input.role, 'probe');
            if (firstAnswer.status !== 'live' || !input.confirmAdvance) {
              timers.push(clock.setTimeout(() => resolve({ ...firstAnswer, index }), PROBE_LATENCY_MS));
              return;
            }
            timers.push(
              clock.setTimeout(() => {
                const secondAnswer = request(log, input.role, 'probe');
                timers.push(clock.setTimeout(() => resolve({ ...secondAnswer, index }), PROBE_LATENCY_MS));
              }, scenario.targetDurationMs),
            );
          }),
      ),
      play: fromCallback<EventObject, PlayInput>(({ input, sendBack, system }) => {
        const log = logOf.get(system)!;
        const send = (event: SourceEvent) => sendBack(event);
        const timers: unknown[] = [];
        const answer = request(log, input.role, 'return');
        const now = clock.now();
        if (input.role === 'primary' && answer.status === 'live') {
          if (log.sawOutage && result.returnDelays[log.index] < 0) {
            result.returnDelays[log.index] = now - scenario.upAgainAtMs;
          }
          timers.push(
            clock.setTimeout(() => {
              log.playingSince = clock.now();
              send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
            }, FIRST_FRAME_MS),
          );
          if (scenario.downFromMs > now) {
            // The player's own detection (fatal error, stale playlist) takes a moment.
            timers.push(
              clock.setTimeout(() => {
                if (log.playingSince !== null) addPlayback(log.playingSince, scenario.downFromMs);
                log.playingSince = null;
                send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'levelLoadError (HTTP 404)' });
              }, scenario.downFromMs + detectMsOf.get(log)! - now),
            );
          }
        } else {
          timers.push(clock.setTimeout(() => send({ type: 'SOURCE.FAILED', role: input.role, index: input.index, cause: 'manifest HTTP 404' }), 1000));
        }
        return () => {
          timers.forEach((id) => clock.clearTimeout(id));
          if (log.playingSince !== null) addPlayback(log.playingSince, clock.now());
          log.playingSince = null;
        };
      }),
      warm: fromCallback(() => undefined),
      watch: fromCallback(() => undefined),
    },
  });

  for (let k = 0; k < count; k += 1) {
    const index = first + k;
    const log: PlayerLog = { index, notBefore: { primary: 0, fallback: 0 }, preliveSince: null, playingSince: null, sawOutage: false };
    logs.push(log);
    const own = seeded(scenario.seed * 7919 + index * 2 + 1);
    detectMsOf.set(log, 1500 + own() * 2000);
    const joinAt = Math.floor(own() * scenario.joinSpreadMs);

    clock.setTimeout(() => {
      const actor = createActor(machine, {
        clock,
        input: {
          primary: [PRIMARY],
          fallback: scenario.fallbackDown ? [FALLBACK] : [],
          preferPrimary: false,
          // The element's defaults (src/policy/thresholds.ts), with a seeded jitter.
          timing: { random: seeded(scenario.seed * 7919 + index * 2) },
        },
      });
      logOf.set(actor.system, log);
      actor.subscribe((snapshot) => {
        const inPrelive = snapshot.matches('prelive');
        const now = clock.now();
        if (inPrelive && log.preliveSince === null) log.preliveSince = now;
        if (!inPrelive && log.preliveSince !== null) {
          leavePrelive(log, now);
        }
      });
      actor.start();
      actors.push(actor);
    }, joinAt);
  }

  await clock.runUntil(scenario.endMs, settleMicrotasks);
  for (const log of logs) {
    if (log.preliveSince !== null) {
      leavePrelive(log, scenario.endMs);
    }
    if (log.playingSince !== null) {
      addPlayback(log.playingSince, scenario.endMs);
      log.playingSince = null;
    }
    if (log.sawOutage && result.returnDelays[log.index] < 0) result.stranded += 1;
  }
  for (const actor of actors) actor.stop();
}

export { DEFAULT_THRESHOLDS };
