/**
 * A crowd of players with simulated time: each player is the real failover machine
 * (src/machine) with the element's default timing, driven by fake probe, play and warm
 * actors that ask scripted servers. Players are independent (a server's answers do not
 * depend on its load), so they run in batches that share one EventClock, and only
 * per-second counts are kept: 100 000 players fit in memory and run in seconds.
 *
 * The world: each stream is a ladder of endpoints (`Scenario.endpoints`; by default one
 * HLS endpoint on the origin, and a fallback on another origin that is down all along), each
 * on a server that is up, down all along, or down during the scenario's outage
 * [downFromMs, upAgainAtMs). Requests are counted per server, and the "origin" figures
 * (probes, returns, playback, prelive and idle requests, Retry-After) are about the
 * endpoints that follow the outage.
 *
 * What a request is (per player):
 * - probe: one playlist GET (WHEP: one POST); a probe that must see an HLS stream advance
 *   makes a second GET one target duration later (only when the first one found it live).
 *   A probe of a ladder asks every endpoint at once and stops asking once the ladder rule
 *   (src/machine/ladder.ts) decides, like the element's probe;
 * - start: an engine starting (HLS: playlist, then init segment and first segment; WHEP: the
 *   POST). Engines belong to a per-player pool like the element's (src/sources/engine-pool.ts):
 *   one engine per endpoint shared by `play` and `warm`, lingering after its last release, so
 *   the play of an endpoint already warming starts nothing; a failed engine is started again;
 * - return: the first start request (manifest) of an outage endpoint after the player saw
 *   the outage;
 * - playback: while an HLS engine has frames, one playlist and one segment per target
 *   duration, counted per second from the playing interval (not part of the return share).
 *
 * How engines fail: an HLS engine whose origin goes down reports FAILED after 1.5–3.5 s (its
 * own detection: fatal error, stale playlist). A WHEP engine whose server dies stops getting
 * frames at that instant; its frame watchdog (src/sources/whep-engine.ts: getStats every
 * 100 ms from the session's start) says SUSPECT ('video frames stalling') at the first check
 * more than 200 ms after the last check that saw frames, and FAILED ('no video frames',
 * scope endpoint) at the first check more than 1000 ms after it: 200–300 ms and 1000–1100 ms
 * after the death, by the phase of the player's checks. (A failed engine that failed at the
 * network level, which the pool may resume in place, is not modelled: nothing here fails so.)
 */
import { createActor, fromCallback, fromPromise, type EventObject } from 'xstate';
import { playerMachine } from '../../src/machine/index.js';
import { keyOf, probeLadder } from '../../src/machine/ladder.js';
import type {
  LadderStep,
  PlayInput,
  ProbeInput,
  ProbeVerdict,
  SourceDescriptor,
  SourceEvent,
  SourceRole,
  StreamVerdict,
} from '../../src/machine/types.js';
import { DEFAULT_THRESHOLDS, LADDER_HEAD_START_MS } from '../../src/policy/thresholds.js';
import { EventClock } from './event-clock.js';

/** What the origin answers while it is down. */
export interface DownAnswer {
  status: 404 | 503;
  /** Sent with 503 as Retry-After. */
  retryAfterMs?: number;
}

/** One endpoint of a stream, and the server behind it. */
export interface EndpointSpec {
  kind: 'hls' | 'whep';
  /** The server its requests go to: requests are counted per server. */
  server: string;
  /**
   * `outage`: down in the scenario's [downFromMs, upAgainAtMs), answering `down`;
   * `always`: down (404) for the whole run; `never`: up all along.
   */
  down: 'outage' | 'always' | 'never';
}

export interface Scenario {
  name: string;
  players: number;
  /** Players open the page at a uniformly random time in [0, joinSpreadMs). */
  joinSpreadMs: number;
  /** The outage: its endpoints are down in [downFromMs, upAgainAtMs). */
  downFromMs: number;
  upAgainAtMs: number;
  down: DownAnswer;
  /** Without `endpoints`: a fallback on another origin, down for the whole run (its requests are not the origin's). */
  fallbackDown: boolean;
  /**
   * The ladders. Default: the primary is one HLS endpoint on `origin` that follows the outage;
   * the fallback (with `fallbackDown`) one HLS endpoint on `backup`, down all along.
   */
  endpoints?: Record<SourceRole, EndpointSpec[]>;
  /** Machine timing overrides (the element's defaults otherwise). */
  timing?: { failoverSpreadMs?: number };
  /** Simulated run length. */
  endMs: number;
  targetDurationMs: number;
  seed: number;
}

/** Requests to one server. */
export interface ServerCounts {
  /** Per simulated second, by kind (see the header). */
  probes: Int32Array;
  starts: Int32Array;
  playback: Int32Array;
  /** Players whose first request to this server since the outage began fell in that second. */
  landings: Int32Array;
  /** Per player: time from the outage's start to its first request to this server since (ms), or -1. */
  firstRequestDelays: Float64Array;
  /** Engines started on this server's endpoints. */
  engineStarts: number;
}

export interface CrowdResult {
  scenario: Scenario;
  seconds: number;
  /** Requests per simulated second against the origin (the outage's endpoints), by kind. */
  probes: Int32Array;
  returns: Int32Array;
  playback: Int32Array;
  /** Probes each player sent to the fallback's servers, per second. */
  fallbackProbes: Int32Array;
  /** Every server's requests, by server name. */
  servers: Record<string, ServerCounts>;
  /** Per player: time from the origin's recovery to its return request (ms), or -1. */
  returnDelays: Float64Array;
  /** Requests sent by players while in prelive, per stream, and the time they spent there. */
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
  /** Where the players are at `endMs`: `<state> <endpoint on screen>` → players. */
  endStates: Record<string, number>;
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

const PROBE_LATENCY_MS = 40;
const FIRST_FRAME_MS = 400;
/**
 * The WHEP engine's frame watchdog (src/sources/whep-engine.ts, CHECK_EVERY_MS and
 * SUSPECT_SHARE, not exported): its period, the stall limit (frameStallMs) and the share of
 * it that is a suspicion.
 */
const WHEP_CHECK_EVERY_MS = 100;
const FRAME_STALL_MS = DEFAULT_THRESHOLDS.frameStallMs;
const WHEP_SUSPECT_SHARE = 0.2;
/** The engine pool (src/sources/engine-pool.ts): how long a released engine lingers, without and with a picture taking over. */
const LINGER_MS = 8000;
const HANDOVER_MS = 1000;
/** A player counts as idle once it has been in prelive this long. */
export const IDLE_AFTER_MS = 60_000;

/** The ladders of a scenario (see `Scenario.endpoints`). */
export function endpointsOf(scenario: Scenario): Record<SourceRole, EndpointSpec[]> {
  return (
    scenario.endpoints ?? {
      primary: [{ kind: 'hls', server: 'origin', down: 'outage' }],
      fallback: scenario.fallbackDown ? [{ kind: 'hls', server: 'backup', down: 'always' }] : [],
    }
  );
}

/** The descriptors the machine gets: opaque to it, only the kind matters (the crowd spread). */
function descriptorsOf(scenario: Scenario): Record<SourceRole, SourceDescriptor[]> {
  const ladders = endpointsOf(scenario);
  const describe = (role: SourceRole) =>
    ladders[role].map((spec, index) => ({
      kind: spec.kind,
      url:
        spec.kind === 'whep'
          ? `https://${spec.server}.example/whep/${role}`
          : `https://${spec.server}.example/live/${role}${index > 0 ? `-${index}` : ''}.m3u8`,
    }));
  return { primary: describe('primary'), fallback: describe('fallback') };
}

function emptyServerCounts(seconds: number, players: number): ServerCounts {
  return {
    probes: new Int32Array(seconds),
    starts: new Int32Array(seconds),
    playback: new Int32Array(seconds),
    landings: new Int32Array(seconds),
    firstRequestDelays: new Float64Array(players).fill(-1),
    engineStarts: 0,
  };
}

/**
 * Simulates players [from, to) of the scenario (each player's randomness depends only on
 * the seed and its index, so slices run in parallel workers add up to the whole crowd).
 */
export async function simulateCrowd(scenario: Scenario, from = 0, to = scenario.players, batchSize = 5000): Promise<CrowdResult> {
  const seconds = Math.ceil(scenario.endMs / 1000) + 1;
  const ladders = endpointsOf(scenario);
  const servers: Record<string, ServerCounts> = {};
  for (const spec of [...ladders.primary, ...ladders.fallback]) {
    servers[spec.server] ??= emptyServerCounts(seconds, scenario.players);
  }
  const result: CrowdResult = {
    scenario,
    seconds,
    probes: new Int32Array(seconds),
    returns: new Int32Array(seconds),
    playback: new Int32Array(seconds),
    fallbackProbes: new Int32Array(seconds),
    servers,
    returnDelays: new Float64Array(scenario.players).fill(-1),
    preliveRequests: { primary: 0, fallback: 0 },
    preliveMs: 0,
    idleRequests: { primary: 0, fallback: 0 },
    idleMs: 0,
    retryAfterViolations: 0,
    stranded: 0,
    endStates: {},
  };
  for (let first = from; first < to; first += batchSize) {
    await runBatch(scenario, result, first, Math.min(batchSize, to - first));
  }
  return result;
}

type Listener = (event: SourceEvent) => void;

/** One engine of a player's pool (the element's EnginePool, reduced to what costs requests). */
interface Engine {
  step: LadderStep;
  spec: EndpointSpec;
  listeners: Set<Listener>;
  firstFrame: boolean;
  /** FAILED or STOPPED, once reported: a later lease starts a new engine. */
  settled: SourceEvent | null;
  destroyed: boolean;
  timers: unknown[];
  lingerTimer?: unknown;
  /** When an HLS engine got its first frame (its playback requests count from then). */
  playingSince: number | null;
}

async function runBatch(scenario: Scenario, result: CrowdResult, first: number, count: number): Promise<void> {
  const clock = new EventClock();
  const ladders = endpointsOf(scenario);
  const descriptors = descriptorsOf(scenario);
  const inOutage = (t: number) => t >= scenario.downFromMs && t < scenario.upAgainAtMs;
  const isDown = (spec: EndpointSpec, t: number) => spec.down === 'always' || (spec.down === 'outage' && inOutage(t));
  const second = (t: number) => Math.min(result.seconds - 1, Math.floor(t / 1000));
  const specOf = (step: LadderStep) => ladders[step.role][step.index]!;

  interface PlayerLog {
    index: number;
    /** Earliest time the next request to each server may go out, from its last Retry-After. */
    notBefore: Record<string, number>;
    preliveSince: number | null;
    /** A request of this player found an outage endpoint down. */
    sawOutage: boolean;
    /** How long an HLS engine takes to notice its origin's outage while playing. */
    detectMs: number;
    /** The pool: one engine per endpoint. */
    engines: Map<string, Engine>;
  }

  /** One playlist + one segment per target duration, spread evenly over [from, to). */
  const addPlayback = (into: Int32Array, from: number, to: number) => {
    const perSecond = (2 * 1000) / scenario.targetDurationMs;
    for (let t = Math.floor(from / 1000); t * 1000 < to && t < result.seconds; t += 1) {
      const start = Math.max(from, t * 1000);
      const end = Math.min(to, (t + 1) * 1000);
      into[t] += Math.round((perSecond * (end - start)) / 1000);
    }
  };

  /** An HLS engine's playback requests from its first frame to `to` (an outage endpoint's are the origin's too). */
  const endPlayback = (engine: Engine, to: number) => {
    if (engine.playingSince === null) return;
    if (engine.spec.kind === 'hls') {
      addPlayback(result.servers[engine.spec.server]!.playback, engine.playingSince, to);
      if (engine.spec.down === 'outage') addPlayback(result.playback, engine.playingSince, to);
    }
    engine.playingSince = null;
  };

  /** One request to an endpoint: counts it, checks Retry-After, answers what its server says now. */
  const request = (log: PlayerLog, step: LadderStep, kind: 'probe' | 'start'): ProbeVerdict => {
    const now = clock.now();
    const spec = specOf(step);
    const counts = result.servers[spec.server]!;
    if (now < (log.notBefore[spec.server] ?? 0)) result.retryAfterViolations += 1;
    if (log.preliveSince !== null) {
      result.preliveRequests[step.role] += 1;
      if (now - log.preliveSince >= IDLE_AFTER_MS && now < scenario.upAgainAtMs) result.idleRequests[step.role] += 1;
    }
    (kind === 'probe' ? counts.probes : counts.starts)[second(now)] += 1;
    if (now >= scenario.downFromMs && counts.firstRequestDelays[log.index] < 0) {
      counts.firstRequestDelays[log.index] = now - scenario.downFromMs;
      counts.landings[second(now)] += 1;
    }
    if (step.role === 'fallback' && kind === 'probe') result.fallbackProbes[second(now)] += 1;
    if (spec.down === 'outage') {
      if (kind === 'probe') result.probes[second(now)] += 1;
      // The first start of each player is not a return; only starts after an outage are.
      else if (log.sawOutage) result.returns[second(now)] += 1;
    }
    if (!isDown(spec, now)) return { status: 'live', targetDurationMs: scenario.targetDurationMs };
    if (spec.down === 'always') return { status: 'not-live', cause: `${step.role} playlist HTTP 404` };
    log.sawOutage = true;
    const { status, retryAfterMs } = scenario.down;
    if (retryAfterMs !== undefined) log.notBefore[spec.server] = now + retryAfterMs;
    const what = spec.kind === 'whep' ? 'WHEP POST' : 'playlist';
    return retryAfterMs !== undefined
      ? { status: 'not-live', cause: `${what} HTTP ${status}`, retryAfterMs }
      : { status: 'not-live', cause: `${what} HTTP ${status}` };
  };

  const leavePrelive = (log: PlayerLog, now: number) => {
    const spent = now - (log.preliveSince ?? now);
    result.preliveMs += spent;
    // Idle: waiting for a stream that is not there, once the first minute is over.
    const idleFrom = (log.preliveSince ?? now) + IDLE_AFTER_MS;
    result.idleMs += Math.max(0, Math.min(now, scenario.upAgainAtMs) - idleFrom);
    log.preliveSince = null;
  };

  // The engine pool of each player, as the element's (src/sources/engine-pool.ts).

  const emit = (engine: Engine, event: SourceEvent) => {
    if (engine.destroyed) return;
    if (event.type === 'SOURCE.FIRST_FRAME') {
      if (engine.firstFrame) return;
      engine.firstFrame = true;
    }
    if (event.type === 'SOURCE.FAILED' || event.type === 'SOURCE.STOPPED') engine.settled = event;
    for (const listener of [...engine.listeners]) listener(event);
  };

  const destroy = (log: PlayerLog, engine: Engine) => {
    if (engine.destroyed) return;
    engine.destroyed = true;
    engine.timers.forEach((id) => clock.clearTimeout(id));
    clock.clearTimeout(engine.lingerTimer);
    engine.listeners.clear();
    endPlayback(engine, clock.now());
    if (log.engines.get(keyOf(engine.step)) === engine) log.engines.delete(keyOf(engine.step));
  };

  /** A first frame: engines that only lingered to cover the switch go a moment later (not for an engine nobody holds). */
  const onFirstFrame = (log: PlayerLog, engine: Engine) => {
    engine.playingSince = clock.now();
    if (engine.listeners.size === 0) return;
    for (const other of log.engines.values()) {
      if (other !== engine && other.listeners.size === 0) {
        clock.clearTimeout(other.lingerTimer);
        other.lingerTimer = clock.setTimeout(() => destroy(log, other), HANDOVER_MS);
      }
    }
  };

  const startEngine = (log: PlayerLog, step: LadderStep): Engine => {
    const spec = specOf(step);
    const engine: Engine = {
      step,
      spec,
      listeners: new Set(),
      firstFrame: false,
      settled: null,
      destroyed: false,
      timers: [],
      playingSince: null,
    };
    log.engines.set(keyOf(step), engine);
    result.servers[spec.server]!.engineStarts += 1;
    const now = clock.now();
    const at = (when: number, fn: () => void) => engine.timers.push(clock.setTimeout(fn, when - now));
    const answer = request(log, step, 'start');
    if (answer.status !== 'live') {
      const cause = spec.kind === 'whep' ? 'WHEP POST refused' : 'manifest HTTP 404';
      at(now + 1000, () => emit(engine, { type: 'SOURCE.FAILED', role: step.role, index: step.index, cause }));
      return engine;
    }
    // HLS: once the playlist is in, the init segment and the first media segment.
    if (spec.kind === 'hls') result.servers[spec.server]!.starts[second(now + PROBE_LATENCY_MS)] += 2;
    if (spec.down === 'outage' && log.sawOutage && result.returnDelays[log.index] < 0) {
      result.returnDelays[log.index] = now - scenario.upAgainAtMs;
    }
    at(now + FIRST_FRAME_MS, () => {
      onFirstFrame(log, engine);
      emit(engine, { type: 'SOURCE.FIRST_FRAME', role: step.role, index: step.index });
    });
    if (spec.down !== 'outage' || scenario.downFromMs <= now) return engine;
    if (spec.kind === 'hls') {
      // The player's own detection (fatal error, stale playlist) takes a moment.
      at(scenario.downFromMs + log.detectMs, () => {
        endPlayback(engine, scenario.downFromMs);
        emit(engine, { type: 'SOURCE.FAILED', role: step.role, index: step.index, cause: 'levelLoadError (HTTP 404)' });
      });
    } else {
      // Frames stop when the server dies; the watchdog checks every 100 ms from the start.
      const lastCheckWithFrames = now + Math.floor((scenario.downFromMs - now) / WHEP_CHECK_EVERY_MS) * WHEP_CHECK_EVERY_MS;
      const firstCheckAfter = (limitMs: number) =>
        lastCheckWithFrames + (Math.floor(limitMs / WHEP_CHECK_EVERY_MS) + 1) * WHEP_CHECK_EVERY_MS;
      at(firstCheckAfter(FRAME_STALL_MS * WHEP_SUSPECT_SHARE), () =>
        emit(engine, {
          type: 'SOURCE.SUSPECT',
          role: step.role,
          index: step.index,
          cause: 'video frames stalling',
          scope: 'endpoint',
        }),
      );
      at(firstCheckAfter(FRAME_STALL_MS), () =>
        emit(engine, {
          type: 'SOURCE.FAILED',
          role: step.role,
          index: step.index,
          cause: 'no video frames for 1 s',
          scope: 'endpoint',
        }),
      );
    }
    return engine;
  };

  /** A share of the engine of this endpoint, started if needed; returns the release. */
  const lease = (log: PlayerLog, step: LadderStep, listener: Listener): (() => void) => {
    let engine = log.engines.get(keyOf(step));
    if (!engine || engine.destroyed || engine.settled) {
      if (engine) destroy(log, engine);
      engine = startEngine(log, step);
    }
    const current = engine;
    clock.clearTimeout(current.lingerTimer);
    current.listeners.add(listener);
    // What happened before this lease is replayed a moment later; what happens from now on is heard live.
    const { firstFrame, settled } = current;
    queueMicrotask(() => {
      if (!current.listeners.has(listener)) return;
      if (firstFrame) listener({ type: 'SOURCE.FIRST_FRAME', role: step.role, index: step.index });
      if (settled) listener(settled);
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      current.listeners.delete(listener);
      if (current.listeners.size === 0 && !current.destroyed) {
        const covered = [...log.engines.values()].some((other) => other !== current && other.firstFrame && other.listeners.size > 0);
        current.lingerTimer = clock.setTimeout(() => destroy(log, current), covered ? HANDOVER_MS : LINGER_MS);
      }
    };
  };

  /** Nothing on screen (prelive, stopped): no engine may linger. */
  const destroyIdle = (log: PlayerLog) => {
    for (const engine of [...log.engines.values()]) if (engine.listeners.size === 0) destroy(log, engine);
  };

  const actors: Array<ReturnType<typeof createActor<typeof machine>>> = [];
  const logs: PlayerLog[] = [];
  // One machine for the batch (providing actors builds a new machine, which is costly):
  // the fake actors find their player through the actor system they run in.
  const logOf = new WeakMap<object, PlayerLog>();

  const machine = playerMachine.provide({
    actors: {
      // The element's ladder probe (src/machine/ladder.ts), on the simulated clock.
      probe: fromPromise<StreamVerdict, ProbeInput>(
        ({ input, signal, system }) =>
          new Promise<StreamVerdict>((resolve) => {
            const log = logOf.get(system)!;
            const timers: unknown[] = [];
            const stopAsking = () => {
              ladder.cancel();
              timers.forEach((id) => clock.clearTimeout(id));
            };
            signal.addEventListener('abort', stopAsking);
            const ladder = probeLadder(input.role, input.steps.length, LADDER_HEAD_START_MS, {
              ask: (position) => {
                const step = input.steps[position]!;
                const answerLater = (answer: ProbeVerdict) =>
                  timers.push(clock.setTimeout(() => ladder.answer(position, answer), PROBE_LATENCY_MS));
                const firstAnswer = request(log, step, 'probe');
                if (firstAnswer.status !== 'live' || !input.confirmAdvance || specOf(step).kind === 'whep') {
                  answerLater(firstAnswer);
                  return;
                }
                timers.push(clock.setTimeout(() => answerLater(request(log, step, 'probe')), scenario.targetDurationMs));
              },
              schedule: (fn, ms) => {
                const id = clock.setTimeout(fn, ms);
                return () => clock.clearTimeout(id);
              },
              decide: (verdict) => {
                timers.forEach((id) => clock.clearTimeout(id));
                resolve({ ...verdict, index: input.steps[verdict.index]?.index ?? verdict.index });
              },
            });
          }),
      ),
      play: fromCallback<EventObject, PlayInput>(({ input, sendBack, system }) =>
        lease(logOf.get(system)!, input, (event) => sendBack(event)),
      ),
      // The hidden video's engine: its first frame is READY; its failure or stop as is.
      warm: fromCallback<EventObject, PlayInput>(({ input, sendBack, system }) =>
        lease(logOf.get(system)!, input, (event) => {
          if (event.type === 'SOURCE.FIRST_FRAME') sendBack({ type: 'SOURCE.READY', role: event.role, index: event.index });
          else if (event.type === 'SOURCE.FAILED' || event.type === 'SOURCE.STOPPED') sendBack(event);
        }),
      ),
      watch: fromCallback(() => undefined),
    },
  });

  for (let k = 0; k < count; k += 1) {
    const index = first + k;
    const own = seeded(scenario.seed * 7919 + index * 2 + 1);
    const log: PlayerLog = {
      index,
      notBefore: {},
      preliveSince: null,
      sawOutage: false,
      detectMs: 1500 + own() * 2000,
      engines: new Map(),
    };
    logs.push(log);
    const joinAt = Math.floor(own() * scenario.joinSpreadMs);

    clock.setTimeout(() => {
      const actor = createActor(machine, {
        clock,
        input: {
          primary: descriptors.primary,
          fallback: descriptors.fallback,
          preferPrimary: false,
          // The element's defaults (src/policy/thresholds.ts) unless the scenario says otherwise, with a seeded jitter.
          timing: { ...scenario.timing, random: seeded(scenario.seed * 7919 + index * 2) },
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
        if (!snapshot.context.onScreen) destroyIdle(log);
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
    for (const engine of log.engines.values()) endPlayback(engine, scenario.endMs);
    if (log.sawOutage && result.returnDelays[log.index] < 0) result.stranded += 1;
  }
  for (const actor of actors) {
    const { value, context } = actor.getSnapshot();
    const state = typeof value === 'string' ? value : Object.keys(value)[0];
    const where = `${state} ${context.onScreen ? keyOf(context.onScreen) : '-'}`;
    result.endStates[where] = (result.endStates[where] ?? 0) + 1;
    actor.stop();
  }
}

export { DEFAULT_THRESHOLDS };
