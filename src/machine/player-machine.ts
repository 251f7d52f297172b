/**
 * The failover policy of <live-player> as an XState v5 machine (pure: no DOM, no media, no
 * timers other than XState delays; effects are the `probe`, `play`, `warm` and `watch` actors
 * that the element supplies with `playerMachine.provide({ actors })`).
 *
 * The top-level states are exactly the public states. `primary` and `fallback` are built by
 * one function, `onAir(role)`: every rule of a stream on screen is written once, and which
 * endpoint is on screen, which one comes next and which ones failed are context.
 *
 * Policy:
 * - prelive probes both streams' ladders in parallel. The primary wins as soon as one of its
 *   endpoints is live (the fallback's answer is not awaited); the fallback wins only once the
 *   primary is known to be not live. A stopped primary ends everything; a stopped fallback is
 *   just not live.
 * - Nothing live: retry the round after `backoffDelay` (capped, jittered, Retry-After as a
 *   floor), forever: a late event start must still be picked up. The attempt counter resets
 *   when an endpoint puts its first frame on screen, so an endpoint that probes live but
 *   never plays backs off instead of looping hot. Only the first round skips the advance
 *   check, so a stream starts fast.
 * - Make before break: at the first sign of trouble (SUSPECT) the next endpoint starts
 *   warming in its hidden video; the switch itself waits for FAILED. The candidates after a
 *   failure are the same stream's other endpoints, unless the failure is the stream's own
 *   (then straight to the other stream), then the other stream's (ladder.ts). Each candidate
 *   must prove itself (its probe, or a frame from its warming engine) before the switch;
 *   one that does not is passed over for the next; with none left, prelive.
 * - A WebRTC endpoint's own failure (frames stopped, connection lost) reaches every viewer at
 *   the same instant: the move to the same stream's next endpoint starts after a random
 *   0–`failoverSpreadMs`, so a crowd does not land on it in one second. HLS failures are
 *   spread by each player's own playlist refresh; a move to the other stream (its own
 *   failure, or the stream's) is not held back.
 * - A suspicion warms the next endpoint; if none follows for the hysteresis window, it is let
 *   go (a hiccup must not double a viewer's bandwidth for good). A warm standby stays.
 * - No ping-pong between two broken endpoints: an endpoint that failed counts as "failed
 *   recently" until it proves healthy (plays for the hysteresis window, or a watcher sees it
 *   live and advancing). Switching to such an endpoint needs its probe AND a frame.
 * - An endpoint this viewer cannot reach (`path`: ICE never connected) is left alone for the
 *   crowd-safe backoff, and at least the hysteresis window, before it is tried again.
 * - Sticky: the player stays where it works. `prefer-primary` returns to a better endpoint
 *   (any primary endpoint from the fallback; an earlier one within the primary) once a
 *   watcher has seen it live for the hysteresis window, with a frame ready in its hidden
 *   video; a failure or DOWN of it starts the wait over. So a flapping endpoint causes at
 *   most one unforced switch per window; forced switches (the endpoint on screen failed and
 *   another proved live) are never held back, because a live picture beats the poster.
 * - A deliberate stop seen on any endpoint of the primary stream, by a probe, a player or a
 *   watcher, is final. A stopped fallback endpoint only counts as a failed one.
 * - The viewer's own network is not a source failure: while the page says it is offline
 *   (VIEWER.OFFLINE), or when every request failed at the network level (no server answered
 *   the endpoint on screen nor any candidate, or any endpoint of a prelive round), the
 *   player holds: nothing is marked failed, the state and the last picture stay. It retries
 *   at once (after a small jitter) when the page says the network is back (VIEWER.ONLINE),
 *   and otherwise on the usual backoff, as a crowd behind a dead origin would.
 */
import { and, assign, enqueueActions, fromCallback, fromPromise, not, raise, setup } from 'xstate';
import type { ActorRefFrom, AnyEventObject, CallbackActorLogic, EventObject, PromiseActorLogic, SnapshotFrom } from 'xstate';
import { Reasons, type StateChangeReason } from '../constants.js';
import { backoffDelay } from '../policy/backoff.js';
import { DEFAULT_THRESHOLDS } from '../policy/thresholds.js';
import { candidates, keyOf, otherRole, rank, ROLES, sameEndpoint, type Streams } from './ladder.js';
import type {
  EndpointRef,
  FailureScope,
  LadderStep,
  MachineInput,
  MachineTiming,
  PlayInput,
  ProbeInput,
  RetryEvent,
  SourceEvent,
  ViewerEvent,
  SourceRole,
  StandbyMode,
  StreamVerdict,
  WatchInput,
} from './types.js';

export const DEFAULT_TIMING: Readonly<MachineTiming> = {
  retryBaseMs: DEFAULT_THRESHOLDS.retryBaseMs,
  retryCapMs: DEFAULT_THRESHOLDS.retryCapMs,
  preferPrimaryAfterMs: DEFAULT_THRESHOLDS.preferPrimaryAfterMs,
  failoverSpreadMs: DEFAULT_THRESHOLDS.failoverSpreadMs,
  reconnectJitterMs: DEFAULT_THRESHOLDS.reconnectJitterMs,
  random: Math.random,
};

/** Snapshot tags: `loading` shows the quiet spinner, `playing` means a frame is on screen. */
export type PlayerTag = 'loading' | 'playing';

export interface PlayerContext {
  readonly streams: Streams;
  readonly preferPrimary: boolean;
  readonly standby: StandbyMode;
  readonly timing: MachineTiming;
  /** Why the last change of top-level state (or of the endpoint on screen) happened. */
  reason: StateChangeReason;
  /** The engine's or probe's failure text behind `reason`, when there is one. */
  cause?: string;
  /** Failed prelive rounds since an endpoint last put a frame on screen. */
  attempt: number;
  /** True until the first probe round is over: that round skips the advance check. */
  fastStart: boolean;
  /** This round's verdict per stream (cleared when a round starts or a stream plays). */
  verdicts: Record<SourceRole, StreamVerdict | null>;
  /** Target durations reported by the last live probe of each endpoint, by key. */
  targetDurationMs: Record<string, number | undefined>;
  /** The endpoint played on screen (`primary` and `fallback` states). */
  onScreen: EndpointRef | null;
  /** The endpoint to switch to next: warming, being tried, or (prefer-primary) proving itself. */
  next: EndpointRef | null;
  /** `next` has a frame in its hidden video. */
  nextReady: boolean;
  /** `next` passed its probe. */
  nextProbed: boolean;
  /** `next`'s engine has been started (its spread, if any, is over). */
  nextStarted: boolean;
  /** How long to wait before `next` is started (the crowd spread). */
  spreadMs: number;
  /** Keys of the endpoints tried, and found wanting, for the failure being handled. */
  tried: string[];
  /** The failure of the endpoint on screen being handled. */
  failure: { cause: string; scope: FailureScope } | null;
  /** Keys of endpoints that failed and have not proven healthy since. */
  failedRecently: Record<string, boolean>;
  /** The viewer seems offline (the page said so, or nothing answered at the network level): hold. */
  offline: boolean;
  /** The failure in hand, and every candidate tried for it, failed at the network level. */
  networkOnly: boolean;
  /** Consecutive `path` failures per endpoint: the backoff step of its next try. */
  pathFailures: Record<string, number>;
  /** Endpoints left alone after a `path` failure, until their ENDPOINT.RETRY. */
  benched: Record<string, boolean>;
}

/** Logic types the element's real actors must satisfy. */
export type ProbeLogic = PromiseActorLogic<StreamVerdict, ProbeInput>;
export type PlayLogic = CallbackActorLogic<EventObject, PlayInput>;
export type WatchLogic = CallbackActorLogic<EventObject, WatchInput>;

/** Invocation ids: the graph test and debugging tools address probe results by them. */
export const ActorIds = {
  PROBE: { primary: 'probePrimary', fallback: 'probeFallback' },
  TRY: 'tryNext',
  PLAY: 'play',
  WARM: 'warm',
  WATCH: 'watch',
} as const;

const MACHINE_ID = 'player';
/** An absolute target: `#player.<path>`. */
const at = (path: string) => `#${MACHINE_ID}.${path}`;

type MachineEvent = SourceEvent | RetryEvent | ViewerEvent;

/**
 * The verdict carried by a probe's done or error event. A probe that rejects counts as not
 * live, with the error as cause: a broken probe must not stop the retries.
 */
function verdictOf(event: AnyEventObject): StreamVerdict {
  if (event.type.startsWith('xstate.error.actor.')) return { status: 'not-live', cause: String(event.error), index: 0 };
  return event.output as StreamVerdict;
}

/** A stopped fallback is only an unavailable fallback: the stop signal is the primary's. */
function asStreamVerdict(role: SourceRole, verdict: StreamVerdict): StreamVerdict {
  return role === 'fallback' && verdict.status === 'stopped' ? { ...verdict, status: 'not-live' } : verdict;
}

function refOf(event: AnyEventObject): EndpointRef | null {
  return typeof event.role === 'string' && typeof event.index === 'number'
    ? { role: event.role as SourceRole, index: event.index }
    : null;
}

function causeOf(verdict: StreamVerdict | null): string | undefined {
  return verdict && verdict.status !== 'live' ? verdict.cause : undefined;
}

function retryAfterOf(verdict: StreamVerdict | null): number {
  return verdict?.status === 'not-live' ? (verdict.retryAfterMs ?? 0) : 0;
}

/** Defaults, overridden only by values actually given (an explicit `undefined` keeps the default). */
function resolveTiming(timing: Partial<MachineTiming> | undefined): MachineTiming {
  const resolved: MachineTiming = { ...DEFAULT_TIMING };
  for (const key of Object.keys(timing ?? {}) as Array<keyof MachineTiming>) {
    const value = timing?.[key];
    if (value !== undefined) Object.assign(resolved, { [key]: value });
  }
  return resolved;
}

const stepOf = (context: PlayerContext, ref: EndpointRef): LadderStep => ({
  ...ref,
  source: context.streams[ref.role][ref.index]!,
});

/** The candidates after a failure of `scope` of the endpoint on screen (excluding `next` when asked). */
function candidatesFor(context: PlayerContext, scope: FailureScope, besides: EndpointRef | null = null): EndpointRef[] {
  if (!context.onScreen) return [];
  const skip = (key: string) => context.tried.includes(key) || !!context.benched[key] || (besides !== null && key === keyOf(besides));
  return candidates({ streams: context.streams, onScreen: context.onScreen, skip }, scope);
}

/** The warm standby: the next endpoint in line that has not just failed (warming that one again would only repeat the failure). */
function standbyFor(context: PlayerContext): EndpointRef | null {
  return candidatesFor(context, 'endpoint').find((ref) => !context.failedRecently[keyOf(ref)]) ?? null;
}

/** `next` is worth keeping for a failure of `scope`: a stream's own failure rules out its other endpoints. */
function nextFits(context: PlayerContext, scope: FailureScope): boolean {
  const { next, onScreen } = context;
  return !!next && !!onScreen && !(scope === 'stream' && next.role === onScreen.role);
}

/** What the endpoints the watcher looks at: the primary's while the fallback plays (its stop
 * signal and recovery); with prefer-primary, the primary's earlier endpoints. */
function watchedSteps(context: PlayerContext): LadderStep[] {
  const { onScreen } = context;
  if (!onScreen) return [];
  const indices = context.streams.primary
    .map((_, index) => index)
    .filter((index) => onScreen.role === 'fallback' || (context.preferPrimary && index < onScreen.index));
  return indices.map((index) => stepOf(context, { role: 'primary', index }));
}

/**
 * The spread before `candidate` starts after a trouble of `scope` on screen (see the policy):
 * only a move to the same stream's next endpoint away from a WebRTC endpoint, for its own
 * (not the stream's) trouble.
 */
function spreadFor(context: PlayerContext, scope: FailureScope, candidate: EndpointRef | null): number {
  const { onScreen } = context;
  if (!onScreen || !candidate || candidate.role !== onScreen.role || scope === 'stream') return 0;
  if (context.streams[onScreen.role][onScreen.index]?.kind !== 'whep') return 0;
  return Math.floor(context.timing.random() * context.timing.failoverSpreadMs);
}

const scopeOfEvent = (event: AnyEventObject): FailureScope => (event.scope as FailureScope | undefined) ?? 'endpoint';

/** Records `next` as the endpoint to switch to, not yet ready nor probed. */
const withNext = (
  next: EndpointRef | null,
  spreadMs = 0,
): Pick<PlayerContext, 'next' | 'nextReady' | 'nextProbed' | 'nextStarted' | 'spreadMs'> => ({
  next,
  nextReady: false,
  nextProbed: false,
  nextStarted: false,
  spreadMs,
});

/** A WebRTC endpoint: its own session is its probe, and a frame from it proves it live. */
const isWebRtc = (context: PlayerContext, ref: EndpointRef | null) => !!ref && context.streams[ref.role][ref.index]?.kind === 'whep';

const machineSetup = setup({
  types: {
    context: {} as PlayerContext,
    events: {} as MachineEvent,
    input: {} as MachineInput,
    tags: {} as PlayerTag,
  },
  actors: {
    // Placeholders: the element provides the real effects.
    probe: fromPromise<StreamVerdict, ProbeInput>(async () => {
      throw new Error('probe not provided');
    }),
    play: fromCallback<EventObject, PlayInput>(() => undefined),
    warm: fromCallback<EventObject, PlayInput>(() => undefined),
    watch: fromCallback<EventObject, WatchInput>(() => undefined),
  },
  guards: {
    // Source events carry their endpoint: the machine never trusts an event from another one.
    fromOnScreen: ({ context, event }) => sameEndpoint(refOf(event), context.onScreen),
    fromNext: ({ context, event }) => sameEndpoint(refOf(event), context.next),
    fromPrimaryStream: ({ event }) => refOf(event)?.role === 'primary',
    hasFallback: ({ context }) => context.streams.fallback.length > 0,
    /** This round's verdict of `role` (a stopped fallback counts as not live). */
    streamIs: ({ context }, params: { role: SourceRole; status: StreamVerdict['status'] }) =>
      context.verdicts[params.role]?.status === params.status,
    /** `role` has answered this round, or has no endpoints to answer for. */
    streamSettled: ({ context }, params: { role: SourceRole }) =>
      context.verdicts[params.role] !== null || context.streams[params.role].length === 0,
    /** On a probe's done/error event (a rejected probe is never live nor stopped). */
    verdictIs: ({ event }, params: { status: StreamVerdict['status'] }) => verdictOf(event).status === params.status,
    nextIsPrimary: ({ context }) => context.next?.role === 'primary',
    nextRoleIs: ({ context }, params: { role: SourceRole }) => context.next?.role === params.role,
    /** The endpoint on screen failed and there is somewhere to go for this failure. */
    canFailOver: ({ context, event }) => candidatesFor(context, scopeOfEvent(event)).length > 0,
    /** Another candidate besides `next` for the failure being handled. */
    hasAnother: ({ context }) => candidatesFor(context, context.failure?.scope ?? 'endpoint', context.next).length > 0,
    /** A FAILED event whose request got no answer from any server. */
    eventNetwork: ({ event }) => (event as { network?: boolean }).network === true,
    /** The failure in hand and every candidate tried for it failed at the network level. */
    networkOnly: ({ context }) => context.networkOnly,
    /** This round: no server of any endpoint of either stream answered. */
    roundNetworkOnly: ({ context }) =>
      ROLES.every(
        (role) =>
          context.streams[role].length === 0 ||
          (context.verdicts[role]?.status === 'not-live' && context.verdicts[role]?.network === true),
      ),
    /** SUSPECT: `next` does not fit this trouble, and another endpoint would. */
    needsOtherNext: ({ context, event }) =>
      !nextFits(context, scopeOfEvent(event)) && candidatesFor(context, scopeOfEvent(event)).length > 0,
    /**
     * `next` proved itself: its probe or a frame; both for an endpoint that failed recently.
     */
    canSwitch: ({ context }) => {
      const { next, nextReady, nextProbed } = context;
      if (!next) return false;
      // An HLS frame may come from segments of a playlist that no longer advances; a WebRTC
      // frame is the live stream itself.
      const strict = context.failedRecently[keyOf(next)] && !isWebRtc(context, next);
      return strict ? nextReady && nextProbed : nextReady || nextProbed;
    },
    nextIsWebRtc: ({ context }) => isWebRtc(context, context.next),
    nextReady: ({ context }) => context.nextReady,
    noSpread: ({ context }) => context.spreadMs <= 0,
    /** With a warm standby, the next endpoint in line is kept warm all along. */
    warmStandby: ({ context }) => context.standby === 'warm' && standbyFor(context) !== null,
    /** prefer-primary: a watcher saw a better endpoint than the one on screen live (and it is not benched). */
    betterEndpointLive: ({ context, event }) => {
      const ref = refOf(event);
      if (!context.preferPrimary || !ref || !context.onScreen || context.benched[keyOf(ref)]) return false;
      return rank(ref) < rank(context.onScreen);
    },
  },
  delays: {
    backoff: ({ context }) =>
      backoffDelay(
        context.attempt,
        { baseMs: context.timing.retryBaseMs, capMs: context.timing.retryCapMs, random: context.timing.random },
        Math.max(...ROLES.map((role) => retryAfterOf(context.verdicts[role]))) || undefined,
      ),
    hysteresis: ({ context }) => context.timing.preferPrimaryAfterMs,
    spread: ({ context }) => context.spreadMs,
    reconnectJitter: ({ context }) => Math.floor(context.timing.random() * context.timing.reconnectJitterMs),
  },
  actions: {
    /** Records why the top-level state (or the endpoint on screen) is changing. */
    announce: assign((_, params: { reason: StateChangeReason; cause?: string }) => ({
      reason: params.reason,
      cause: params.cause,
    })),
    /** Announces the failure being handled as the reason of the change: `<stream>-failed`. */
    announceFailure: assign(({ context }) => ({
      reason: context.onScreen?.role === 'fallback' ? Reasons.FALLBACK_FAILED : Reasons.PRIMARY_FAILED,
      cause: context.failure?.cause,
    })),
    recordVerdict: assign(({ context, event }, params: { role: SourceRole }) => ({
      verdicts: { ...context.verdicts, [params.role]: asStreamVerdict(params.role, verdictOf(event)) },
    })),
    /** A candidate's probe said not live: its Retry-After must hold if prelive follows. */
    recordNextVerdict: assign(({ context, event }) => {
      const role = context.next?.role ?? 'primary';
      const verdict = asStreamVerdict(role, verdictOf(event));
      const network = verdict.status === 'not-live' && verdict.network === true;
      return { verdicts: { ...context.verdicts, [role]: verdict }, networkOnly: context.networkOnly && network };
    }),
    /** A candidate's engine failed: still only the network? */
    noteNextFailure: assign(({ context, event }) => ({
      networkOnly: context.networkOnly && (event as { network?: boolean }).network === true,
    })),
    /**
     * Hold: the viewer seems offline. What failed while the network was gone is not held
     * against the endpoints (the one on screen, the candidates tried).
     */
    goOffline: assign(({ context }) => {
      const forgiven = { ...context.failedRecently };
      for (const key of [
        ...context.tried,
        ...(context.onScreen ? [keyOf(context.onScreen)] : []),
        ...(context.next ? [keyOf(context.next)] : []),
      ]) {
        forgiven[key] = false;
      }
      return { offline: true, failedRecently: forgiven, ...withNext(null), tried: [] };
    }),
    goOnline: assign({ offline: false }),
    clearVerdicts: assign({ verdicts: { primary: null, fallback: null } }),
    endFastStart: assign({ fastStart: false }),
    countAttempt: assign(({ context }) => ({ attempt: context.attempt + 1 })),
    resetAttempt: assign({ attempt: 0 }),
    /** The target duration that `next`'s live probe reported, for its player. */
    keepNextTargetDuration: assign(({ context, event }) => {
      const verdict = verdictOf(event);
      if (!context.next || verdict.status !== 'live') return {};
      return { targetDurationMs: { ...context.targetDurationMs, [keyOf(context.next)]: verdict.targetDurationMs } };
    }),
    /** Puts this round's live endpoint of `role` on screen. */
    adoptVerdict: assign(({ context }, params: { role: SourceRole }) => {
      const verdict = context.verdicts[params.role]!;
      const ref = { role: params.role, index: verdict.index };
      const targetDurationMs = verdict.status === 'live' ? verdict.targetDurationMs : undefined;
      return {
        onScreen: ref,
        ...withNext(null),
        tried: [],
        failure: null,
        targetDurationMs: { ...context.targetDurationMs, [keyOf(ref)]: targetDurationMs },
      };
    }),
    /** Puts `next` on screen. */
    adoptNext: assign(({ context }) => ({ onScreen: context.next, ...withNext(null), tried: [], failure: null })),
    noteFailure: assign(({ event }) => ({
      failure: { cause: 'cause' in event ? String(event.cause) : 'failed', scope: scopeOfEvent(event) },
      tried: [],
      networkOnly: (event as { network?: boolean }).network === true,
    })),
    /**
     * The endpoint of a FAILED event counts as failed recently; after a `path` failure it is
     * also left alone until an ENDPOINT.RETRY, after the backoff of its failure count (at
     * least the hysteresis window).
     */
    markFailed: enqueueActions(({ context, event, enqueue }) => {
      const ref = refOf(event);
      if (!ref) return;
      const key = keyOf(ref);
      enqueue.assign({ failedRecently: { ...context.failedRecently, [key]: true } });
      if (scopeOfEvent(event) !== 'path') return;
      const failures = (context.pathFailures[key] ?? 0) + 1;
      const { retryBaseMs: baseMs, retryCapMs: capMs, random, preferPrimaryAfterMs } = context.timing;
      enqueue.assign({
        pathFailures: { ...context.pathFailures, [key]: failures },
        benched: { ...context.benched, [key]: true },
      });
      enqueue.cancel(`retry:${key}`);
      enqueue.raise(
        { type: 'ENDPOINT.RETRY', ...ref },
        { id: `retry:${key}`, delay: Math.max(preferPrimaryAfterMs, backoffDelay(failures - 1, { baseMs, capMs, random })) },
      );
    }),
    unbench: assign(({ context, event }) => ({ benched: { ...context.benched, [keyOf(refOf(event)!)]: false } })),
    /** An endpoint seen healthy (a watcher's LIVE) no longer counts as failed recently. */
    markEventHealthy: assign(({ context, event }) => ({
      failedRecently: { ...context.failedRecently, [keyOf(refOf(event)!)]: false },
    })),
    /** The endpoint on screen played for the hysteresis window: healthy, and its path too. */
    markOnScreenHealthy: assign(({ context }) => {
      const key = keyOf(context.onScreen!);
      return {
        failedRecently: { ...context.failedRecently, [key]: false },
        pathFailures: { ...context.pathFailures, [key]: 0 },
      };
    }),
    /** The first candidate for a trouble of this event's scope, with its spread. */
    pickNext: assign(({ context, event }) => {
      const scope = scopeOfEvent(event);
      const next = candidatesFor(context, scope)[0] ?? null;
      return withNext(next, spreadFor(context, scope, next));
    }),
    /**
     * On a failure: keep a `next` that fits it (it may be warm already; one still in its spread
     * keeps it: the crowd stays spread), else pick one.
     */
    keepOrPickNext: assign(({ context }) => {
      const scope = context.failure?.scope ?? 'endpoint';
      if (nextFits(context, scope)) return { spreadMs: context.nextStarted ? 0 : context.spreadMs };
      const next = candidatesFor(context, scope)[0] ?? null;
      return withNext(next, spreadFor(context, scope, next));
    }),
    markNextStarted: assign({ nextStarted: true, spreadMs: 0 }),
    /** `next` did not prove itself for this failure: the next candidate, started at once. */
    pickAnother: assign(({ context }) => {
      const tried = [...context.tried, keyOf(context.next!)];
      const scope = context.failure?.scope ?? 'endpoint';
      return { tried, ...withNext(candidatesFor({ ...context, tried }, scope)[0] ?? null) };
    }),
    /** A standby for the next endpoint in line. */
    pickStandby: assign(({ context }) => withNext(standbyFor(context))),
    /** prefer-primary: the endpoint a watcher saw live is the one to prove itself. */
    nextFromEvent: assign(({ event }) => withNext(refOf(event))),
    clearNext: assign(withNext(null)),
    /** Nothing on screen any more (prelive): no endpoint, no candidate, no failure in hand. */
    leaveScreen: assign({ onScreen: null, ...withNext(null), tried: [], failure: null }),
    markNextReady: assign({ nextReady: true }),
    markNextProbed: assign({ nextProbed: true }),
  },
});

/** One stream's probe region of a prelive round. The fallback may have no endpoints at all. */
function streamProbe(role: SourceRole) {
  const running = {
    description: `Probing every endpoint of the ${role} stream; the first live one in ladder order wins.`,
    invoke: {
      id: ActorIds.PROBE[role],
      src: 'probe' as const,
      input: ({ context }: { context: PlayerContext }): ProbeInput => ({
        role,
        steps: context.streams[role].map((_, index) => stepOf(context, { role, index })),
        confirmAdvance: !context.fastStart,
      }),
      onDone: { actions: { type: 'recordVerdict' as const, params: { role } } },
      onError: { actions: { type: 'recordVerdict' as const, params: { role } } },
    },
  };
  if (role === 'primary') return machineSetup.createStateConfig({ initial: 'running', states: { running } });
  return machineSetup.createStateConfig({
    // XState cannot invoke conditionally, so the absence of a fallback is a state.
    initial: 'choosing' as const,
    states: {
      choosing: { always: [{ guard: 'hasFallback' as const, target: 'running' }, { target: 'absent' }] },
      running,
      absent: { description: 'No fallback stream is configured.' },
    },
  });
}

/** The transitions that put `next` on screen, whichever stream it belongs to. */
function switchToNext() {
  return (['primary', 'fallback'] as const).map((role) => ({
    guard: and(['canSwitch', { type: 'nextRoleIs' as const, params: { role } }]),
    target: at(role),
    reenter: true,
    actions: ['announceFailure' as const, 'adoptNext' as const],
  }));
}

/** Keeps `next` ready in its hidden video (its engine is the pool's: restarting this actor keeps it). */
const warmNext = {
  id: ActorIds.WARM,
  src: 'warm' as const,
  input: ({ context }: { context: PlayerContext }): PlayInput => ({
    ...stepOf(context, context.next!),
    targetDurationMs: context.targetDurationMs[keyOf(context.next!)],
  }),
};

/**
 * A stream on screen, on any of its endpoints (`context.onScreen`). Regions: `view` (the
 * picture: loading until the first frame), `health` (steady, failing over, or recovering a
 * better endpoint). The player and the watcher run at this level, so the failing endpoint's
 * buffer keeps playing while the next one proves itself.
 */
function onAir(role: SourceRole) {
  const other = otherRole(role);
  return machineSetup.createStateConfig({
    description: `The ${role} stream is on screen (on any of its endpoints).`,
    type: 'parallel',
    entry: 'clearVerdicts',
    invoke: [
      {
        id: ActorIds.PLAY,
        src: 'play',
        input: ({ context }) => ({
          ...stepOf(context, context.onScreen!),
          targetDurationMs: context.targetDurationMs[keyOf(context.onScreen!)],
        }),
      },
      {
        // The primary's endpoints, for its stop signal and (prefer-primary) its recovery.
        id: ActorIds.WATCH,
        src: 'watch',
        input: ({ context }) => ({ steps: watchedSteps(context) }),
      },
    ],
    // A watcher's LIVE: that endpoint is healthy again (steady also considers returning to it).
    on: { 'SOURCE.LIVE': { actions: 'markEventHealthy' } },
    states: {
      view: {
        description: 'The picture of the endpoint on screen.',
        initial: 'loading',
        states: {
          loading: {
            tags: ['loading'],
            on: { 'SOURCE.FIRST_FRAME': { guard: 'fromOnScreen', target: 'playing', actions: ['resetAttempt', 'goOnline'] } },
          },
          playing: {
            tags: ['playing'],
            after: { hysteresis: { actions: 'markOnScreenHealthy' } },
          },
        },
      },
      health: {
        initial: 'steady',
        on: {
          // The endpoint on screen failed: to the next candidate, or to prelive when there is none.
          'SOURCE.FAILED': [
            {
              guard: and(['fromOnScreen', 'canFailOver']),
              target: '.failing',
              actions: ['noteFailure', 'markFailed', 'keepOrPickNext'],
            },
            // Nowhere else to go, and no server answered: the viewer's network, most likely.
            { guard: and(['fromOnScreen', 'eventNetwork']), target: '.offline', actions: 'goOffline' },
            { guard: 'fromOnScreen', target: at('prelive.waiting'), actions: ['noteFailure', 'markFailed', 'announceFailure'] },
          ],
          'SOURCE.READY': { guard: 'fromNext', actions: 'markNextReady' },
          // Here, not on the stream's state: the picture (the view region) stays as it is.
          'VIEWER.OFFLINE': { target: '.offline', actions: 'goOffline' },
        },
        states: {
          steady: {
            description: 'Playing; at the first sign of trouble (or all along with a warm standby) the next endpoint warms.',
            initial: 'choosing',
            on: {
              'SOURCE.LIVE': [
                { guard: 'betterEndpointLive', target: 'recovering', actions: ['markEventHealthy', 'nextFromEvent'] },
                { actions: 'markEventHealthy' },
              ],
            },
            states: {
              choosing: {
                always: [{ guard: 'warmStandby', target: 'warming', actions: 'pickStandby' }, { target: 'calm' }],
              },
              calm: {
                on: {
                  'SOURCE.SUSPECT': { guard: and(['fromOnScreen', 'needsOtherNext']), target: 'warming', actions: 'pickNext' },
                },
              },
              warming: {
                description:
                  'The next endpoint starts (after the crowd spread) in its hidden video; without a new suspicion for the hysteresis window (and no warm standby) it is let go.',
                after: { hysteresis: { guard: not('warmStandby'), target: 'calm', actions: 'clearNext' } },
                on: {
                  // A trouble of another kind (the stream's own, not the endpoint's): warm what fits it.
                  'SOURCE.SUSPECT': {
                    guard: and(['fromOnScreen', 'needsOtherNext']),
                    target: 'warming',
                    reenter: true,
                    actions: 'pickNext',
                  },
                  'SOURCE.FAILED': { guard: 'fromNext', target: 'calm', actions: ['markFailed', 'clearNext'] },
                },
                initial: 'spreading',
                states: {
                  // A suspicion meanwhile changes nothing: the spread runs its course.
                  spreading: { always: { guard: 'noSpread', target: 'started' }, after: { spread: 'started' } },
                  started: {
                    entry: 'markNextStarted',
                    invoke: warmNext,
                    // Still in trouble: the cool-down window starts over (the engine keeps running).
                    on: {
                      'SOURCE.SUSPECT': {
                        guard: and(['fromOnScreen', not('needsOtherNext')]),
                        target: at(`${role}.health.steady.warming`),
                        reenter: true,
                      },
                    },
                  },
                },
              },
            },
          },
          failing: {
            description: `The endpoint on screen failed: candidates are tried in order (its stream first, unless the failure is the stream's own, then the ${other}); the first to prove itself goes on screen.`,
            always: switchToNext(),
            on: {
              'SOURCE.FAILED': [
                { guard: 'fromNext', actions: ['markFailed', 'noteNextFailure'], target: '.tryingAnother' },
                // Reported again while failing over: already in hand.
                { guard: 'fromOnScreen' },
              ],
            },
            initial: 'spreading',
            states: {
              spreading: { always: { guard: 'noSpread', target: 'trying' }, after: { spread: 'trying' } },
              trying: {
                description: 'The candidate warms in its hidden video; an HLS candidate is also probed: is it live and advancing?',
                entry: 'markNextStarted',
                invoke: warmNext,
                initial: 'choosing',
                states: {
                  choosing: { always: [{ guard: 'nextIsWebRtc', target: 'watching' }, { target: 'probing' }] },
                  probing: {
                    invoke: {
                      id: ActorIds.TRY,
                      src: 'probe',
                      input: ({ context }) => ({
                        role: context.next!.role,
                        steps: [stepOf(context, context.next!)],
                        confirmAdvance: true,
                      }),
                      onDone: [
                        {
                          guard: and([{ type: 'verdictIs', params: { status: 'stopped' } as const }, 'nextIsPrimary']),
                          target: at('stopped'),
                          actions: {
                            type: 'announce',
                            params: ({ event }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: causeOf(event.output) }),
                          },
                        },
                        {
                          guard: { type: 'verdictIs', params: { status: 'live' } as const },
                          actions: ['markNextProbed', 'keepNextTargetDuration'],
                        },
                        { target: at(`${role}.health.failing.tryingAnother`), actions: 'recordNextVerdict' },
                      ],
                      onError: { target: at(`${role}.health.failing.tryingAnother`), actions: 'recordNextVerdict' },
                    },
                  },
                  watching: {
                    description:
                      "A WebRTC candidate's own session is its probe (one POST per viewer, not two): its first frame decides, its failure passes it over.",
                  },
                },
              },
              tryingAnother: {
                description: 'The candidate did not prove itself: the next one, at once; none left: prelive.',
                always: [
                  { guard: 'hasAnother', target: 'trying', actions: 'pickAnother' },
                  // Nothing answered, the endpoint on screen nor any candidate: hold, do not fail over.
                  { guard: 'networkOnly', target: at(`${role}.health.offline`), actions: 'goOffline' },
                  { target: at('prelive.waiting'), actions: 'announceFailure' },
                ],
              },
            },
          },
          recovering: {
            description:
              'prefer-primary: a better primary endpoint is live again. It warms in its hidden video; after the hysteresis window with a frame ready, it goes on screen.',
            invoke: warmNext,
            after: {
              hysteresis: [
                {
                  guard: 'nextReady',
                  target: at('primary'),
                  reenter: true,
                  actions: [{ type: 'announce', params: { reason: Reasons.PRIMARY_RECOVERED } }, 'adoptNext'],
                },
                // No frame from it in all that time: not healthy after all.
                { target: 'steady', actions: 'clearNext' },
              ],
            },
            on: {
              'SOURCE.DOWN': { guard: 'fromNext', target: 'steady', actions: 'clearNext' },
              'SOURCE.FAILED': { guard: 'fromNext', target: 'steady', actions: ['markFailed', 'clearNext'] },
            },
          },
          offline: offlineHold(at(role), true),
        },
      },
    },
  });
}

/**
 * The viewer seems offline: hold what is there (the state; on screen, the last picture), mark
 * nothing failed. When the page says the network is back: retry at once, after a small jitter
 * (`retryTo`, re-entered: the endpoint on screen resumes in place). Otherwise look again on the
 * backoff: on air, a probe of the endpoint on screen decides (retrying the engine itself would
 * throw its last picture away); in prelive, a probe round.
 */
function offlineHold(retryTo: string, onAir: boolean) {
  const holding = {
    on: { 'VIEWER.ONLINE': 'reconnecting' },
    after: {
      backoff: onAir
        ? { target: 'checking', actions: 'countAttempt' as const }
        : { target: retryTo, reenter: true, actions: 'countAttempt' as const },
    },
  };
  const checking = {
    description: 'Is the endpoint on screen reachable again? Its probe says.',
    on: { 'VIEWER.ONLINE': 'reconnecting' },
    invoke: {
      id: ActorIds.TRY,
      src: 'probe' as const,
      input: ({ context }: { context: PlayerContext }): ProbeInput => ({
        role: context.onScreen!.role,
        steps: [stepOf(context, context.onScreen!)],
        confirmAdvance: false,
      }),
      onDone: [
        {
          guard: { type: 'verdictIs' as const, params: { status: 'live' } as const },
          target: retryTo,
          reenter: true,
          actions: 'goOnline' as const,
        },
        { target: 'holding' },
      ],
      onError: { target: 'holding' },
    },
  };
  return machineSetup.createStateConfig({
    description:
      "The viewer's network is gone (or no server answers at all): nothing is marked failed, nothing changes on screen; retried when the network is back, else on the backoff.",
    // Failures seen while the network is gone are the network's, not the endpoint's.
    ...(onAir ? { on: { 'SOURCE.FAILED': { guard: 'fromOnScreen' } } } : {}),
    initial: 'holding',
    states: {
      holding,
      ...(onAir ? { checking } : {}),
      reconnecting: {
        description: 'The network is back: retry after a small jitter.',
        after: { reconnectJitter: { target: retryTo, reenter: true, actions: ['goOnline', 'resetAttempt'] } },
      },
    },
  });
}

export const playerMachine = machineSetup.createMachine({
  id: MACHINE_ID,
  context: ({ input }) => ({
    streams: { primary: [...input.primary], fallback: [...input.fallback] },
    preferPrimary: input.preferPrimary,
    standby: input.standby ?? 'cold',
    timing: resolveTiming(input.timing),
    reason: Reasons.START,
    cause: undefined,
    attempt: 0,
    fastStart: true,
    verdicts: { primary: null, fallback: null },
    targetDurationMs: {},
    onScreen: null,
    ...withNext(null),
    tried: [],
    failure: null,
    failedRecently: {},
    offline: false,
    networkOnly: false,
    pathFailures: {},
    benched: {},
  }),
  initial: 'prelive',
  on: {
    // The stop signal belongs to the primary stream, whoever sees it; a fallback endpoint's
    // stop is only its failure (handled where a failure is).
    'SOURCE.STOPPED': [
      {
        guard: 'fromPrimaryStream',
        target: '.stopped',
        actions: { type: 'announce', params: ({ event }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: event.cause }) },
      },
      { actions: raise(({ event }) => ({ ...event, type: 'SOURCE.FAILED' as const, scope: 'stream' as const })) },
    ],
    'ENDPOINT.RETRY': { actions: 'unbench' },
    // Outside a hold, the network's return only clears the flag.
    'VIEWER.ONLINE': { actions: 'goOnline' },
  },
  states: {
    prelive: {
      description:
        'Nothing is on screen: the poster, then the pre-live message. Both ladders are probed, in rounds paced by the backoff.',
      entry: 'leaveScreen',
      on: { 'VIEWER.OFFLINE': { target: '.offline', actions: 'goOffline' } },
      initial: 'probing',
      states: {
        probing: {
          description: 'One probe round: both streams at once, decided as soon as the answers allow.',
          type: 'parallel',
          entry: 'clearVerdicts',
          exit: 'endFastStart',
          always: [
            {
              guard: { type: 'streamIs', params: { role: 'primary', status: 'stopped' } as const },
              target: at('stopped'),
              actions: {
                type: 'announce',
                params: ({ context }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: causeOf(context.verdicts.primary) }),
              },
            },
            {
              // The primary is preferred: no need to wait for the fallback's answer.
              guard: { type: 'streamIs', params: { role: 'primary', status: 'live' } as const },
              target: at('primary'),
              actions: [
                { type: 'adoptVerdict', params: { role: 'primary' } as const },
                { type: 'announce', params: { reason: Reasons.PRIMARY_LIVE } },
              ],
            },
            {
              guard: and([
                { type: 'streamIs', params: { role: 'primary', status: 'not-live' } as const },
                { type: 'streamIs', params: { role: 'fallback', status: 'live' } as const },
              ]),
              target: at('fallback'),
              actions: [
                { type: 'adoptVerdict', params: { role: 'fallback' } as const },
                {
                  type: 'announce',
                  params: ({ context }) => ({ reason: Reasons.FALLBACK_LIVE, cause: causeOf(context.verdicts.primary) }),
                },
              ],
            },
            {
              // No server answered at all: the viewer's network, not the streams.
              guard: and([
                { type: 'streamIs', params: { role: 'primary', status: 'not-live' } as const },
                { type: 'streamSettled', params: { role: 'fallback' } as const },
                'roundNetworkOnly',
              ]),
              target: 'offline',
              actions: 'goOffline',
            },
            {
              guard: and([
                { type: 'streamIs', params: { role: 'primary', status: 'not-live' } as const },
                { type: 'streamSettled', params: { role: 'fallback' } as const },
              ]),
              target: 'waiting',
            },
          ],
          states: {
            round: {
              description: 'Which round this is: only the very first carries the loading tag.',
              initial: 'first',
              states: {
                first: { tags: ['loading'] },
                again: {},
              },
            },
            primaryProbe: streamProbe('primary'),
            fallbackProbe: streamProbe('fallback'),
          },
        },
        waiting: {
          description: 'Nothing live this round: wait one backoff step (Retry-After as a floor).',
          after: { backoff: { target: 'probing.round.again', actions: 'countAttempt' } },
        },
        offline: offlineHold(at('prelive.probing.round.again'), false),
      },
    },
    primary: onAir('primary'),
    fallback: onAir('fallback'),
    stopped: {
      description: 'The primary stream was deliberately stopped: the end. No network at all.',
      type: 'final',
    },
  },
});

export type PlayerMachine = typeof playerMachine;
export type PlayerSnapshot = SnapshotFrom<PlayerMachine>;
export type PlayerActorRef = ActorRefFrom<PlayerMachine>;
