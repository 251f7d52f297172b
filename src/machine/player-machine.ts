/**
 * The failover policy of <live-player> as an XState v5 machine (pure: no DOM, no media, no
 * timers other than XState `after` delays; effects are the `probe`, `play` and `watch`
 * actors that the element supplies with `playerMachine.provide({ actors })`).
 *
 * Policy:
 * - prelive probes primary and fallback in parallel. The primary wins as soon as it is live
 *   (the fallback probe is not awaited); the fallback wins only once the primary is known to
 *   be not live. A stopped primary ends everything; a stopped fallback is just not live.
 * - Nothing live: retry the round after `backoffDelay` (equal jitter, capped, Retry-After as
 *   a floor), forever: a late event start must still be picked up. The attempt counter
 *   resets when a source puts its first frame on screen, so a source that probes live but
 *   never plays backs off instead of looping hot.
 * - Only the first round probes fast (confirmAdvance false); every later probe also checks
 *   that the stream advances, since a failed stream often still serves a stale playlist.
 * - A source that fails gets one probe of the other source (the failing player is kept
 *   alive meanwhile: its buffer may still be on screen); if that is not live, prelive waits
 *   one backoff step before probing again.
 * - The fallback is sticky unless `preferPrimary`, which returns to the primary once the
 *   watcher has seen it live for `hysteresisMs` without a DOWN in between.
 * - No ping-pong between two broken sources: a source that failed counts as "failed
 *   recently" until it proves healthy (plays for `hysteresisMs`, or the watcher sees it live
 *   and advancing). Switching back to such a source needs its probe AND a frame from its
 *   warming engine; without both the player goes to prelive (and its backoff).
 * - prefer-primary returns only to a primary that stayed healthy for the window with a frame
 *   ready in its hidden video; a failure of that hidden primary starts the wait over. So a
 *   flapping source causes at most one switch per window (away from it); the only other
 *   switches are forced ones (the source on screen failed and the other one proved live),
 *   because a live picture beats the poster.
 * - A deliberate stop of the primary, seen by any probe, player or watcher, is final.
 */
import { and, assign, fromCallback, fromPromise, setup, stateIn } from 'xstate';
import type {
  ActorRefFrom,
  AnyEventObject,
  CallbackActorLogic,
  EventObject,
  PromiseActorLogic,
  SnapshotFrom,
} from 'xstate';
import { Reasons, type StateChangeReason } from '../constants.js';
import { backoffDelay, DEFAULT_RETRY_BASE_MS, DEFAULT_RETRY_CAP_MS } from './backoff.js';
import type {
  MachineInput,
  MachineTiming,
  PlayInput,
  ProbeInput,
  ProbeVerdict,
  SourceDescriptor,
  SourceEvent,
  SourceRole,
  StandbyMode,
  WatchInput,
} from './types.js';

export const DEFAULT_TIMING: Readonly<MachineTiming> = {
  backoffBaseMs: DEFAULT_RETRY_BASE_MS,
  backoffCapMs: DEFAULT_RETRY_CAP_MS,
  hysteresisMs: 15000,
  random: Math.random,
};

/** Snapshot tags: `loading` shows the quiet spinner, `playing` means a frame is on screen. */
export type PlayerTag = 'loading' | 'playing';

export interface PlayerContext {
  readonly primary: SourceDescriptor;
  readonly fallback: SourceDescriptor | null;
  readonly preferPrimary: boolean;
  readonly standby: StandbyMode;
  readonly timing: MachineTiming;
  /** Why the last change of top-level state happened. */
  reason: StateChangeReason;
  /** The engine's or probe's failure text behind `reason`, when there is one. */
  cause?: string;
  /** Failed prelive rounds since a source last put a frame on screen. */
  attempt: number;
  /** True until the first probe round is over: that round skips the advance check. */
  fastStart: boolean;
  /** Not-live verdicts of the current round (cleared whenever a round starts or a source plays). */
  primaryVerdict: ProbeVerdict | null;
  fallbackVerdict: ProbeVerdict | null;
  /** Target durations reported by the last live probe of each source, for `play`. */
  targetDurationMs: Partial<Record<SourceRole, number>>;
  /** Cause of the failure being handled while the other source is probed. */
  failure?: string;
  /**
   * Sources that failed and have not proven healthy since (played for the hysteresis window,
   * or seen live and advancing by the watcher). A probe alone cannot tell hung or corrupt
   * segments: switching to such a source also needs a frame (strictFallback/strictPrimary).
   */
  failedRecently: Record<SourceRole, boolean>;
}

/** Logic types the element's real actors must satisfy. */
export type ProbeLogic = PromiseActorLogic<ProbeVerdict, ProbeInput>;
export type PlayLogic = CallbackActorLogic<EventObject, PlayInput>;
export type WatchLogic = CallbackActorLogic<EventObject, WatchInput>;

/** Invocation ids: the graph test and debugging tools address probe results by them. */
export const ActorIds = {
  PROBE_PRIMARY: 'probePrimary',
  PROBE_FALLBACK: 'probeFallback',
  FAILOVER_PROBE: 'failoverProbe',
  RECOVERY_PROBE: 'recoveryProbe',
  PLAY: 'play',
  WARM: 'warm',
  WATCH: 'watch',
} as const;

/**
 * The verdict carried by a probe's done or error event. A probe that rejects counts as not
 * live, with the error as cause: a broken probe must not stop the retries.
 */
function verdictOf(event: AnyEventObject): ProbeVerdict {
  if (event.type.startsWith('xstate.error.actor.')) {
    return { status: 'not-live', cause: String(event.error) };
  }
  return event.output as ProbeVerdict;
}

/** A stopped fallback is only an unavailable fallback: the stop signal is the primary's. */
function asFallbackVerdict(verdict: ProbeVerdict): ProbeVerdict {
  return verdict.status === 'stopped' ? { status: 'not-live', cause: verdict.cause } : verdict;
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

function causeOf(verdict: ProbeVerdict | null): string | undefined {
  return verdict && verdict.status !== 'live' ? verdict.cause : undefined;
}

function retryAfterOf(verdict: ProbeVerdict | null): number {
  return verdict?.status === 'not-live' ? (verdict.retryAfterMs ?? 0) : 0;
}

export const playerMachine = setup({
  types: {
    context: {} as PlayerContext,
    events: {} as SourceEvent,
    input: {} as MachineInput,
    tags: {} as PlayerTag,
  },
  actors: {
    // Placeholders: the element provides the real effects.
    probe: fromPromise<ProbeVerdict, ProbeInput>(async () => {
      throw new Error('probe not provided');
    }),
    play: fromCallback<EventObject, PlayInput>(() => undefined),
    warm: fromCallback<EventObject, PlayInput>(() => undefined),
    watch: fromCallback<EventObject, WatchInput>(() => undefined),
  },
  guards: {
    // Source events carry their role: the machine never trusts an event from the wrong source.
    fromPrimary: ({ event }) => 'role' in event && event.role === 'primary',
    fromFallback: ({ event }) => 'role' in event && event.role === 'fallback',
    // On a probe's done/error event (a rejected probe is never live nor stopped).
    verdictLive: ({ event }) => verdictOf(event).status === 'live',
    verdictStopped: ({ event }) => verdictOf(event).status === 'stopped',
    hasFallback: ({ context }) => context.fallback !== null,
    fallbackFailedRecently: ({ context }) => context.failedRecently.fallback,
    primaryFailedRecently: ({ context }) => context.failedRecently.primary,
    preferPrimary: ({ context }) => context.preferPrimary,
    warmStandby: ({ context }) => context.standby === 'warm',
    primaryKnownNotLive: ({ context }) => context.primaryVerdict !== null,
    fallbackKnownLive: ({ context }) => context.fallbackVerdict?.status === 'live',
    /** The fallback has answered this round, or there is none to wait for. */
    fallbackSettled: ({ context }) => context.fallback === null || context.fallbackVerdict !== null,
  },
  delays: {
    backoff: ({ context }) =>
      backoffDelay(
        context.attempt,
        {
          baseMs: context.timing.backoffBaseMs,
          capMs: context.timing.backoffCapMs,
          random: context.timing.random,
        },
        Math.max(retryAfterOf(context.primaryVerdict), retryAfterOf(context.fallbackVerdict)) || undefined,
      ),
    hysteresis: ({ context }) => context.timing.hysteresisMs,
  },
  actions: {
    /** Records why the top-level state is changing (read by the element for `statechange`). */
    announce: assign((_, params: { reason: StateChangeReason; cause?: string }) => ({
      reason: params.reason,
      cause: params.cause,
    })),
    /** Announces the failure being handled (noted by `noteFailure`) as the reason of the change. */
    announceFailure: assign(({ context }, params: { reason: StateChangeReason }) => ({
      reason: params.reason,
      cause: context.failure,
    })),
    recordPrimary: assign(({ event }) => ({ primaryVerdict: verdictOf(event) })),
    recordFallback: assign(({ event }) => ({ fallbackVerdict: asFallbackVerdict(verdictOf(event)) })),
    clearVerdicts: assign({ primaryVerdict: null, fallbackVerdict: null }),
    endFastStart: assign({ fastStart: false }),
    countAttempt: assign(({ context }) => ({ attempt: context.attempt + 1 })),
    resetAttempt: assign({ attempt: 0 }),
    markFailed: assign(({ context }, params: { role: SourceRole }) => ({
      failedRecently: { ...context.failedRecently, [params.role]: true },
    })),
    markHealthy: assign(({ context }, params: { role: SourceRole }) => ({
      failedRecently: { ...context.failedRecently, [params.role]: false },
    })),
    noteFailure: assign(({ event }) => ({ failure: 'cause' in event ? event.cause : undefined })),
    keepTargetDuration: assign(({ context, event }, params: { role: SourceRole }) => {
      const verdict = verdictOf(event);
      return {
        targetDurationMs: {
          ...context.targetDurationMs,
          [params.role]: verdict.status === 'live' ? verdict.targetDurationMs : undefined,
        },
      };
    }),
  },
}).createMachine({
  id: 'player',
  context: ({ input }) => ({
    primary: input.primary,
    fallback: input.fallback,
    preferPrimary: input.preferPrimary,
    standby: input.standby ?? 'cold',
    timing: resolveTiming(input.timing),
    reason: Reasons.START,
    cause: undefined,
    attempt: 0,
    fastStart: true,
    primaryVerdict: null,
    fallbackVerdict: null,
    targetDurationMs: {},
    failure: undefined,
    failedRecently: { primary: false, fallback: false },
  }),
  initial: 'prelive',
  states: {
    prelive: {
      initial: 'probing',
      states: {
        /** One probe round: both sources at once, decided as soon as the answers allow. */
        probing: {
          type: 'parallel',
          entry: 'clearVerdicts',
          exit: 'endFastStart',
          invoke: {
            id: ActorIds.PROBE_PRIMARY,
            src: 'probe',
            input: ({ context }) => ({
              role: 'primary',
              source: context.primary,
              confirmAdvance: !context.fastStart,
            }),
            onDone: [
              {
                guard: 'verdictStopped',
                target: '#player.stopped',
                actions: {
                  type: 'announce',
                  params: ({ event }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: causeOf(event.output) }),
                },
              },
              {
                // The primary is preferred: no need to wait for the fallback's answer.
                guard: 'verdictLive',
                target: '#player.primary',
                actions: [
                  { type: 'keepTargetDuration', params: { role: 'primary' } },
                  { type: 'announce', params: { reason: Reasons.PRIMARY_LIVE } },
                ],
              },
              {
                guard: 'fallbackKnownLive',
                target: '#player.fallback',
                actions: [
                  'recordPrimary',
                  {
                    type: 'announce',
                    params: ({ event }) => ({ reason: Reasons.FALLBACK_LIVE, cause: causeOf(event.output) }),
                  },
                ],
              },
              { guard: 'fallbackSettled', target: 'waiting', actions: 'recordPrimary' },
              { actions: 'recordPrimary' },
            ],
            onError: [
              {
                guard: 'fallbackKnownLive',
                target: '#player.fallback',
                actions: [
                  'recordPrimary',
                  {
                    type: 'announce',
                    params: ({ event }) => ({ reason: Reasons.FALLBACK_LIVE, cause: String(event.error) }),
                  },
                ],
              },
              { guard: 'fallbackSettled', target: 'waiting', actions: 'recordPrimary' },
              { actions: 'recordPrimary' },
            ],
          },
          states: {
            round: {
              // `first` only carries the loading tag of the very first round.
              initial: 'first',
              states: {
                first: { tags: ['loading'] },
                again: {},
              },
            },
            fallbackProbe: {
              // XState cannot invoke conditionally, so the absence of a fallback is a state.
              initial: 'choosing',
              states: {
                choosing: {
                  always: [{ guard: 'hasFallback', target: 'running' }, { target: 'absent' }],
                },
                running: {
                  invoke: {
                    id: ActorIds.PROBE_FALLBACK,
                    src: 'probe',
                    input: ({ context }) => ({
                      role: 'fallback',
                      // `running` is only entered when there is a fallback.
                      source: context.fallback ?? context.primary,
                      confirmAdvance: !context.fastStart,
                    }),
                    onDone: [
                      {
                        guard: and(['primaryKnownNotLive', 'verdictLive']),
                        target: '#player.fallback',
                        actions: [
                          { type: 'keepTargetDuration', params: { role: 'fallback' } },
                          {
                            type: 'announce',
                            params: ({ context }) => ({
                              reason: Reasons.FALLBACK_LIVE,
                              cause: causeOf(context.primaryVerdict),
                            }),
                          },
                        ],
                      },
                      { guard: 'primaryKnownNotLive', target: '#player.prelive.waiting', actions: 'recordFallback' },
                      // The primary has not answered yet: remember, and let its answer decide.
                      { actions: ['recordFallback', { type: 'keepTargetDuration', params: { role: 'fallback' } }] },
                    ],
                    onError: [
                      { guard: 'primaryKnownNotLive', target: '#player.prelive.waiting', actions: 'recordFallback' },
                      { actions: 'recordFallback' },
                    ],
                  },
                },
                absent: {},
              },
            },
          },
        },
        waiting: {
          after: {
            backoff: { target: 'probing.round.again', actions: 'countAttempt' },
          },
        },
      },
    },

    primary: {
      type: 'parallel',
      entry: 'clearVerdicts',
      // At this level, not in `health`: the player keeps running (and its buffer keeps
      // playing) while the fallback is probed after a failure.
      invoke: {
        id: ActorIds.PLAY,
        src: 'play',
        input: ({ context }) => ({
          role: 'primary',
          source: context.primary,
          targetDurationMs: context.targetDurationMs.primary,
        }),
      },
      on: {
        'SOURCE.STOPPED': {
          guard: 'fromPrimary',
          target: '#player.stopped',
          actions: { type: 'announce', params: ({ event }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: event.cause }) },
        },
        // SOURCE.SUSPECT only starts warming the fallback (standby region): the switch
        // itself waits for FAILED, so one lost request does not cause a switch.
      },
      states: {
        view: {
          initial: 'loading',
          states: {
            loading: {
              tags: ['loading'],
              on: {
                'SOURCE.FIRST_FRAME': {
                  guard: 'fromPrimary',
                  target: 'playing',
                  actions: 'resetAttempt',
                },
              },
            },
            playing: {
              tags: ['playing'],
              after: { hysteresis: { actions: { type: 'markHealthy', params: { role: 'primary' } } } },
            },
          },
        },
        health: {
          initial: 'steady',
          states: {
            steady: {
              on: {
                'SOURCE.FAILED': [
                  {
                    // The fallback failed too and has not proven healthy since: it must pass its
                    // probe AND show a frame before it is switched to (no ping-pong).
                    guard: and(['fromPrimary', 'hasFallback', 'fallbackFailedRecently']),
                    target: 'strictFallback',
                    actions: ['noteFailure', { type: 'markFailed', params: { role: 'primary' } }],
                  },
                  {
                    // The fallback is already playing in its hidden video: switch now.
                    guard: and(['fromPrimary', stateIn('#player.primary.standby.active.ready')]),
                    target: '#player.fallback',
                    actions: [
                      { type: 'markFailed', params: { role: 'primary' } },
                      { type: 'announce', params: ({ event }) => ({ reason: Reasons.PRIMARY_FAILED, cause: event.cause }) },
                    ],
                  },
                  {
                    guard: and(['fromPrimary', 'hasFallback']),
                    target: 'probingFallback',
                    actions: ['noteFailure', { type: 'markFailed', params: { role: 'primary' } }],
                  },
                  {
                    guard: 'fromPrimary',
                    target: '#player.prelive.waiting',
                    actions: [
                      { type: 'markFailed', params: { role: 'primary' } },
                      { type: 'announce', params: ({ event }) => ({ reason: Reasons.PRIMARY_FAILED, cause: event.cause }) },
                    ],
                  },
                ],
              },
            },
            /**
             * Switching to a fallback that failed recently: its probe must say live (and
             * advancing) and its warming engine must show a frame, in either order. A probe
             * that says not live, or a warm engine that fails, means nothing is live: prelive.
             */
            strictFallback: {
              invoke: {
                id: ActorIds.FAILOVER_PROBE,
                src: 'probe',
                input: ({ context }) => ({
                  role: 'fallback',
                  source: context.fallback ?? context.primary,
                  confirmAdvance: true,
                }),
                onDone: [
                  {
                    guard: and(['verdictLive', stateIn('#player.primary.standby.active.ready')]),
                    target: '#player.fallback',
                    actions: { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                  },
                  { guard: 'verdictLive', target: '.probed' },
                  {
                    target: '#player.prelive.waiting',
                    actions: [
                      'recordFallback',
                      { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                    ],
                  },
                ],
                onError: {
                  target: '#player.prelive.waiting',
                  actions: [
                    'recordFallback',
                    { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                  ],
                },
              },
              on: {
                'SOURCE.FAILED': {
                  guard: 'fromFallback',
                  target: '#player.prelive.waiting',
                  actions: { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                },
              },
              initial: 'probing',
              states: {
                probing: {},
                probed: {
                  on: {
                    'SOURCE.READY': {
                      guard: 'fromFallback',
                      target: '#player.fallback',
                      actions: { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                    },
                  },
                },
              },
            },
            probingFallback: {
              // A warming fallback that shows a frame first wins: see standby.active.starting.
              invoke: {
                id: ActorIds.FAILOVER_PROBE,
                src: 'probe',
                input: ({ context }) => ({
                  role: 'fallback',
                  source: context.fallback ?? context.primary,
                  confirmAdvance: true,
                }),
                onDone: [
                  {
                    guard: 'verdictLive',
                    target: '#player.fallback',
                    actions: [
                      { type: 'keepTargetDuration', params: { role: 'fallback' } },
                      { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                    ],
                  },
                  {
                    target: '#player.prelive.waiting',
                    actions: [
                      'recordFallback',
                      { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                    ],
                  },
                ],
                onError: {
                  target: '#player.prelive.waiting',
                  actions: [
                    'recordFallback',
                    { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                  ],
                },
              },
            },
          },
        },
        /**
         * Make before break: the fallback warms in its hidden video at the first sign of
         * trouble (or all along with a warm standby), so a failure can switch at once.
         * Last in document order on purpose: when one event both warms here and leaves the
         * state in `health`, XState keeps the earlier region's transition, and leaving wins.
         */
        standby: {
          initial: 'choosing',
          states: {
            choosing: {
              always: [{ guard: and(['hasFallback', 'warmStandby']), target: 'active' }, { target: 'cold' }],
            },
            cold: {
              on: {
                'SOURCE.SUSPECT': { guard: and(['fromPrimary', 'hasFallback']), target: 'active' },
                'SOURCE.FAILED': { guard: and(['fromPrimary', 'hasFallback']), target: 'active' },
              },
            },
            active: {
              invoke: {
                id: ActorIds.WARM,
                src: 'warm',
                input: ({ context }) => ({
                  role: 'fallback',
                  source: context.fallback ?? context.primary,
                  targetDurationMs: context.targetDurationMs.fallback,
                }),
              },
              on: { 'SOURCE.FAILED': { guard: 'fromFallback', target: 'cold' } },
              initial: 'starting',
              states: {
                starting: {
                  on: {
                    'SOURCE.READY': [
                      {
                        // Failing over and the fallback shows a frame before the probe answers:
                        // a frame is the best proof of life, switch now.
                        guard: and(['fromFallback', stateIn('#player.primary.health.probingFallback')]),
                        target: '#player.fallback',
                        actions: { type: 'announceFailure', params: { reason: Reasons.PRIMARY_FAILED } },
                      },
                      { guard: 'fromFallback', target: 'ready' },
                    ],
                  },
                },
                ready: {},
              },
            },
          },
        },
      },
    },

    fallback: {
      type: 'parallel',
      entry: 'clearVerdicts',
      invoke: [
        {
          id: ActorIds.PLAY,
          src: 'play',
          input: ({ context }) => ({
            role: 'fallback',
            source: context.fallback ?? context.primary,
            targetDurationMs: context.targetDurationMs.fallback,
          }),
        },
        {
          // The primary is watched for its stop signal and, with preferPrimary, recovery.
          id: ActorIds.WATCH,
          src: 'watch',
          input: ({ context }) => ({ role: 'primary', source: context.primary }),
        },
      ],
      on: {
        'SOURCE.STOPPED': {
          guard: 'fromPrimary',
          target: '#player.stopped',
          actions: { type: 'announce', params: ({ event }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: event.cause }) },
        },
      },
      states: {
        view: {
          initial: 'loading',
          states: {
            loading: {
              tags: ['loading'],
              on: {
                'SOURCE.FIRST_FRAME': {
                  guard: 'fromFallback',
                  target: 'playing',
                  actions: 'resetAttempt',
                },
              },
            },
            playing: {
              tags: ['playing'],
              after: { hysteresis: { actions: { type: 'markHealthy', params: { role: 'fallback' } } } },
            },
          },
        },
        health: {
          initial: 'steady',
          states: {
            steady: {
              on: {
                'SOURCE.FAILED': [
                  {
                    // The primary failed too and has not proven healthy since: it must pass its
                    // probe AND show a frame before it is switched to (no ping-pong).
                    guard: and(['fromFallback', 'primaryFailedRecently']),
                    target: 'strictPrimary',
                    actions: ['noteFailure', { type: 'markFailed', params: { role: 'fallback' } }],
                  },
                  {
                    // The primary is already playing in its hidden video: switch now.
                    guard: and(['fromFallback', stateIn('#player.fallback.standby.active.ready')]),
                    target: '#player.primary',
                    actions: [
                      { type: 'markFailed', params: { role: 'fallback' } },
                      { type: 'announce', params: ({ event }) => ({ reason: Reasons.FALLBACK_FAILED, cause: event.cause }) },
                    ],
                  },
                  {
                    guard: 'fromFallback',
                    target: 'probingPrimary',
                    actions: ['noteFailure', { type: 'markFailed', params: { role: 'fallback' } }],
                  },
                ],
                'SOURCE.STOPPED': {
                  guard: 'fromFallback',
                  target: 'probingPrimary',
                  actions: ['noteFailure', { type: 'markFailed', params: { role: 'fallback' } }],
                },
                // The watcher saw the primary live and advancing: it counts as healthy again.
                'SOURCE.LIVE': [
                  {
                    guard: and(['preferPrimary', 'fromPrimary']),
                    target: 'recovering',
                    actions: { type: 'markHealthy', params: { role: 'primary' } },
                  },
                  { guard: 'fromPrimary', actions: { type: 'markHealthy', params: { role: 'primary' } } },
                ],
              },
            },
            /** prefer-primary: the primary is live again; switch if it stays so. */
            recovering: {
              after: {
                hysteresis: [
                  {
                    // Seamless: the primary's first frame is ready in its hidden video.
                    guard: stateIn('#player.fallback.standby.active.ready'),
                    target: '#player.primary',
                    actions: { type: 'announce', params: { reason: Reasons.PRIMARY_RECOVERED } },
                  },
                  // No frame from the primary in all that time: it is not healthy after all.
                  { target: 'steady' },
                ],
              },
              on: {
                'SOURCE.DOWN': {
                  guard: 'fromPrimary',
                  target: 'steady',
                },
                // The primary failed in its hidden video (hung segments, a short freeze, a
                // publisher gone between two watcher looks): what the watcher cannot see.
                'SOURCE.FAILED': [
                  {
                    guard: 'fromPrimary',
                    target: 'steady',
                    actions: { type: 'markFailed', params: { role: 'primary' } },
                  },
                  {
                    guard: 'fromFallback',
                    target: 'probingPrimary',
                    actions: ['noteFailure', { type: 'markFailed', params: { role: 'fallback' } }],
                  },
                ],
                'SOURCE.STOPPED': {
                  guard: 'fromFallback',
                  target: 'probingPrimary',
                  actions: ['noteFailure', { type: 'markFailed', params: { role: 'fallback' } }],
                },
              },
            },
            /**
             * Switching to a primary that failed recently: its probe must say live (and
             * advancing) and its warming engine must show a frame, in either order. A probe
             * that says not live, or a warm engine that fails, means nothing is live: prelive.
             */
            strictPrimary: {
              invoke: {
                id: ActorIds.RECOVERY_PROBE,
                src: 'probe',
                input: ({ context }) => ({
                  role: 'primary',
                  source: context.primary,
                  confirmAdvance: true,
                }),
                onDone: [
                  {
                    guard: and(['verdictLive', stateIn('#player.fallback.standby.active.ready')]),
                    target: '#player.primary',
                    actions: { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                  },
                  { guard: 'verdictLive', target: '.probed' },
                  {
                    guard: 'verdictStopped',
                    target: '#player.stopped',
                    actions: {
                      type: 'announce',
                      params: ({ event }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: causeOf(event.output) }),
                    },
                  },
                  {
                    target: '#player.prelive.waiting',
                    actions: [
                      'recordPrimary',
                      { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                    ],
                  },
                ],
                onError: {
                  target: '#player.prelive.waiting',
                  actions: [
                    'recordPrimary',
                    { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                  ],
                },
              },
              on: {
                'SOURCE.FAILED': {
                  guard: 'fromPrimary',
                  target: '#player.prelive.waiting',
                  actions: { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                },
              },
              initial: 'probing',
              states: {
                probing: {},
                probed: {
                  on: {
                    'SOURCE.READY': {
                      guard: 'fromPrimary',
                      target: '#player.primary',
                      actions: { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                    },
                  },
                },
              },
            },
            probingPrimary: {
              // A warming primary that shows a frame first wins: see standby.active.starting.
              invoke: {
                id: ActorIds.RECOVERY_PROBE,
                src: 'probe',
                input: ({ context }) => ({ role: 'primary', source: context.primary, confirmAdvance: true }),
                onDone: [
                  {
                    guard: 'verdictStopped',
                    target: '#player.stopped',
                    actions: {
                      type: 'announce',
                      params: ({ event }) => ({ reason: Reasons.PRIMARY_STOPPED, cause: causeOf(event.output) }),
                    },
                  },
                  {
                    guard: 'verdictLive',
                    target: '#player.primary',
                    actions: [
                      { type: 'keepTargetDuration', params: { role: 'primary' } },
                      { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                    ],
                  },
                  {
                    target: '#player.prelive.waiting',
                    actions: [
                      'recordPrimary',
                      { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                    ],
                  },
                ],
                onError: {
                  target: '#player.prelive.waiting',
                  actions: [
                    'recordPrimary',
                    { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                  ],
                },
              },
            },
          },
        },
        /**
         * Make before break back to the primary: it warms in its hidden video when the
         * fallback shows trouble, or (prefer-primary) while it proves healthy again.
         */
        standby: {
          initial: 'cold',
          states: {
            cold: {
              on: {
                'SOURCE.SUSPECT': { guard: 'fromFallback', target: 'active' },
                'SOURCE.FAILED': { guard: 'fromFallback', target: 'active' },
                'SOURCE.LIVE': { guard: and(['preferPrimary', 'fromPrimary']), target: 'active' },
              },
            },
            active: {
              invoke: {
                id: ActorIds.WARM,
                src: 'warm',
                input: ({ context }) => ({
                  role: 'primary',
                  source: context.primary,
                  targetDurationMs: context.targetDurationMs.primary,
                }),
              },
              on: {
                'SOURCE.FAILED': { guard: 'fromPrimary', target: 'cold' },
                'SOURCE.DOWN': { guard: and(['fromPrimary', stateIn('#player.fallback.health.recovering')]), target: 'cold' },
              },
              initial: 'starting',
              states: {
                starting: {
                  on: {
                    'SOURCE.READY': [
                      {
                        guard: and(['fromPrimary', stateIn('#player.fallback.health.probingPrimary')]),
                        target: '#player.primary',
                        actions: { type: 'announceFailure', params: { reason: Reasons.FALLBACK_FAILED } },
                      },
                      { guard: 'fromPrimary', target: 'ready' },
                    ],
                  },
                },
                ready: {},
              },
            },
          },
        },
      },
    },

    stopped: { type: 'final' },
  },
});

export type PlayerMachine = typeof playerMachine;
export type PlayerSnapshot = SnapshotFrom<PlayerMachine>;
export type PlayerActorRef = ActorRefFrom<PlayerMachine>;
