// Walks the machine's graph with xstate/graph. Probe results and timers are modelled as the
// events XState itself delivers (xstate.done.actor.*, xstate.error.actor.*, xstate.after.*),
// so the traversal reaches everything a real run can. The test fails if any state node or
// any transition (including guarded branches and eventless ones) becomes unreachable.
import { expect } from '@open-wc/testing';
import {
  createEmptyActor,
  type EventFromLogic,
  type AnyActorScope,
  type AnyEventObject,
  type AnyStateNode,
  type AnyTransitionDefinition,
} from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { ActorIds, keyOf, playerMachine, sameEndpoint, type PlayerSnapshot } from '../../src/machine/index.js';
import type { EndpointRef, FailureScope, MachineInput, ProbeVerdict, SourceDescriptor } from '../../src/machine/types.js';

const PUBLIC_STATES = ['prelive', 'primary', 'fallback', 'stopped'] as const;

const verdicts: ProbeVerdict[] = [
  { status: 'live', targetDurationMs: 2000 },
  { status: 'not-live', cause: 'HTTP 503', retryAfterMs: 3000 },
  { status: 'not-live', cause: 'unreachable', network: true },
  { status: 'stopped', cause: '#EXT-X-ENDLIST' },
];
const probeIds = [ActorIds.PROBE.primary, ActorIds.PROBE.fallback, ActorIds.TRY];
const scopes: FailureScope[] = ['endpoint', 'stream', 'path'];

/** Every `after` delay of the machine, as the event XState delivers when it expires. */
const afterEvents: AnyEventObject[] = [playerMachine.root, ...getStateNodes(playerMachine.root)].flatMap((node) =>
  node.after.map((t) => ({ type: t.eventType })),
);

/** Every event the machine can receive for these ladders, from its actors or from XState itself. */
function eventsFor(input: MachineInput): EventFromLogic<typeof playerMachine>[] {
  const refs: EndpointRef[] = (['primary', 'fallback'] as const).flatMap((role) => input[role].map((_, index) => ({ role, index })));
  const longest = Math.max(input.primary.length, input.fallback.length);
  const all: AnyEventObject[] = [
    ...refs.flatMap((ref) => [
      { type: 'SOURCE.FIRST_FRAME', ...ref },
      ...scopes.map((scope) => ({ type: 'SOURCE.FAILED', ...ref, cause: `${keyOf(ref)} failed`, scope })),
      { type: 'SOURCE.FAILED', ...ref, cause: `${keyOf(ref)} unreachable`, network: true },
      { type: 'SOURCE.STOPPED', ...ref, cause: `${keyOf(ref)} stopped` },
      // SUSPECT's scope only picks what warms: a path suspicion warms like an endpoint one.
      ...(['endpoint', 'stream'] as const).map((scope) => ({ type: 'SOURCE.SUSPECT', ...ref, cause: 'suspect', scope })),
      { type: 'SOURCE.READY', ...ref },
      { type: 'SOURCE.LIVE', ...ref },
      { type: 'SOURCE.DOWN', ...ref, cause: `${keyOf(ref)} down` },
      { type: 'ENDPOINT.RETRY', ...ref },
    ]),
    ...probeIds.flatMap((id) => [
      ...verdicts.flatMap((verdict) =>
        Array.from({ length: longest }, (_, index) => ({
          type: `xstate.done.actor.${id}`,
          actorId: id,
          output: { ...verdict, index },
        })),
      ),
      { type: `xstate.error.actor.${id}`, actorId: id, error: new Error('probe threw') },
    ]),
    { type: 'VIEWER.OFFLINE' },
    { type: 'VIEWER.ONLINE' },
    ...afterEvents,
  ];
  // The graph API is typed with the machine's own events; XState's internal ones are extra.
  return all as unknown as EventFromLogic<typeof playerMachine>[];
}

/**
 * State identity for the traversal: the state value plus the context that guards read. The
 * attempt and path-failure counters and causes are left out: they only feed delays and texts,
 * and would make the graph infinite.
 */
function serializeState(snapshot: PlayerSnapshot): string {
  const { value, context, status } = snapshot;
  const flags = (record: Record<string, boolean>) =>
    Object.keys(record)
      .filter((key) => record[key])
      .sort();
  return JSON.stringify({
    value,
    status,
    pv: context.verdicts.primary && [context.verdicts.primary.status, context.verdicts.primary.index],
    fv: context.verdicts.fallback && [context.verdicts.fallback.status, context.verdicts.fallback.index],
    fast: context.fastStart,
    on: context.onScreen && keyOf(context.onScreen),
    next: context.next && keyOf(context.next),
    ready: context.nextReady,
    probed: context.nextProbed,
    spread: context.spreadMs > 0,
    tried: context.tried,
    scope: context.failure?.scope,
    failed: flags(context.failedRecently),
    offline: context.offline,
    networkOnly: context.networkOnly,
    benched: flags(context.benched),
  });
}

const HLS_A: SourceDescriptor = { url: 'https://a.test/p.m3u8', kind: 'hls' };
const WHEP_B: SourceDescriptor = { url: 'https://b.test/whep', kind: 'whep' };
const WHEP_A: SourceDescriptor = { url: 'https://a.test/whep', kind: 'whep' };
const HLS_B: SourceDescriptor = { url: 'https://b.test/f.m3u8', kind: 'hls' };

/** The configurations that together open every branch (fallback or none, sticky or not, ladders). */
const inputs: Record<string, MachineInput> = {
  'fallback, prefer-primary': { primary: [HLS_A], fallback: [WHEP_B], preferPrimary: true, timing: { random: () => 0.5 } },
  'fallback, sticky': { primary: [HLS_A], fallback: [WHEP_B], preferPrimary: false, timing: { random: () => 0.5 } },
  'fallback, warm standby': {
    primary: [HLS_A],
    fallback: [WHEP_B],
    preferPrimary: false,
    standby: 'warm',
    timing: { random: () => 0.5 },
  },
  'no fallback': { primary: [HLS_A], fallback: [], preferPrimary: false, timing: { random: () => 0.5 } },
  'ladders, prefer-primary': {
    primary: [WHEP_A, HLS_A],
    fallback: [WHEP_B, HLS_B],
    preferPrimary: true,
    timing: { random: () => 0.5 },
  },
};

/**
 * An actor scope like xstate/graph's own, but whose inspection hook records the transitions
 * each macrostep takes, eventless ones included.
 */
function recordingScope(taken: Set<AnyTransitionDefinition>): AnyActorScope {
  const self = createEmptyActor();
  // Delegates to the empty actor's system; only the (internal) inspection hook is replaced.
  const system = Object.create(self.system) as { _sendInspectionEvent: (event: AnyEventObject) => void };
  system._sendInspectionEvent = (event) => {
    if (event.type === '@xstate.microstep') {
      for (const t of (event as unknown as { _transitions: AnyTransitionDefinition[] })._transitions) taken.add(t);
    }
  };
  return {
    self,
    id: '',
    sessionId: 'graph',
    logger: () => {},
    defer: () => {},
    system,
    stopChild: () => {},
    emit: () => {},
    actionExecutor: () => {},
  } as unknown as AnyActorScope;
}

interface Walk {
  snapshots: PlayerSnapshot[];
  /** [from, event, to] for every step that changes the public state or the endpoint on screen. */
  steps: Array<[PlayerSnapshot, AnyEventObject, PlayerSnapshot]>;
  taken: Set<AnyTransitionDefinition>;
}

/**
 * Breadth-first over every event in every distinct state, `maxDepth` events deep at most (the
 * ladders' graph is too large to walk whole in a test; six events deep reaches every
 * transition that the single-endpoint walks do not).
 */
function walk(input: MachineInput, maxDepth = Infinity): Walk {
  const taken = new Set<AnyTransitionDefinition>();
  const scope = recordingScope(taken);
  const events = eventsFor(input);
  const initial = playerMachine.getInitialSnapshot(scope, input);
  const seen = new Map<string, PlayerSnapshot>([[serializeState(initial), initial]]);
  const steps: Walk['steps'] = [];
  let frontier = [initial];
  for (let depth = 0; depth < maxDepth && frontier.length; depth += 1) {
    const next: PlayerSnapshot[] = [];
    // A final snapshot takes no events: don't feed it any.
    for (const from of frontier.filter((snapshot) => snapshot.status === 'active')) {
      for (const event of events) {
        const to = playerMachine.transition(from, event, scope);
        if (topLevel(from) !== topLevel(to) || !sameEndpoint(from.context.onScreen, to.context.onScreen)) {
          steps.push([from, event as AnyEventObject, to]);
        }
        const key = serializeState(to);
        if (seen.has(key)) continue;
        seen.set(key, to);
        next.push(to);
      }
    }
    frontier = next;
  }
  expect(seen.size, 'graph size').to.be.lessThan(100_000);
  return { snapshots: [...seen.values()], steps, taken };
}

const topLevel = (s: PlayerSnapshot) => PUBLIC_STATES.find((name) => s.matches(name))!;

function allTransitions(): AnyTransitionDefinition[] {
  const nodes: AnyStateNode[] = [playerMachine.root, ...getStateNodes(playerMachine.root)];
  return nodes.flatMap((node) => [...[...node.transitions.values()].flat(), ...(node.always ?? [])]);
}

function describeTransition(t: AnyTransitionDefinition): string {
  const guard = typeof t.guard === 'string' ? t.guard : t.guard ? 'guard' : 'always';
  const targets = t.target?.map((n) => n.id).join(',') ?? '(self)';
  return `${t.source.id} --${t.eventType || 'eventless'} [${guard}]--> ${targets}`;
}

describe('player machine graph', () => {
  const walks = Object.fromEntries(
    Object.entries(inputs).map(([name, input]) => [name, walk(input, name.startsWith('ladders') ? 6 : Infinity)]),
  );
  const everything = Object.values(walks);

  it('has exactly the public states at the top level', () => {
    expect(Object.keys(playerMachine.root.states).sort()).to.deep.equal([...PUBLIC_STATES].sort());
  });

  it('reaches every state node', () => {
    const reached = new Set<string>();
    for (const w of everything) {
      for (const s of w.snapshots) for (const node of s._nodes) reached.add(node.id);
      // Transient states (left by an eventless transition) never rest in a snapshot: they
      // count as reached when a transition taken leaves them.
      for (const t of w.taken) reached.add(t.source.id);
    }
    const all = getStateNodes(playerMachine.root).map((n) => n.id);
    expect(
      all.filter((id) => !reached.has(id)),
      'unreachable state nodes',
    ).to.deep.equal([]);
    expect(all.length).to.be.greaterThan(15);
  });

  it('exercises every transition', () => {
    const taken = new Set<AnyTransitionDefinition>();
    for (const w of everything) for (const t of w.taken) taken.add(t);
    const all = allTransitions();
    const missing = all.filter((t) => !taken.has(t)).map(describeTransition);
    expect(missing, 'transitions never taken').to.deep.equal([]);
    expect(all.length).to.be.greaterThan(30);
  });

  it('reaches exactly the four public states (all but fallback when there is none)', () => {
    for (const [name, w] of Object.entries(walks)) {
      const reached = new Set(w.snapshots.map(topLevel));
      const expected = name === 'no fallback' ? PUBLIC_STATES.filter((s) => s !== 'fallback') : PUBLIC_STATES;
      expect([...reached].sort(), name).to.deep.equal([...expected].sort());
    }
  });

  it('can reach stopped directly from prelive, primary and fallback', () => {
    const w = walks['fallback, sticky']!;
    const direct = new Set(
      w.steps.filter(([from, , to]) => to.matches('stopped') && !from.matches('stopped')).map(([from]) => topLevel(from)),
    );
    expect([...direct].sort()).to.deep.equal(['fallback', 'prelive', 'primary']);
  });

  it('finds a shortest path to stopped from a snapshot in each public state', () => {
    const input = inputs['fallback, sticky']!;
    const w = walks['fallback, sticky']!;
    const events = eventsFor(input);
    const scope = recordingScope(new Set());
    for (const name of ['prelive', 'primary', 'fallback'] as const) {
      // Breadth first from that snapshot, stopping at the first stopped one: its path is a shortest.
      let frontier: Array<{ snapshot: PlayerSnapshot; path: string[] }> = [
        { snapshot: w.snapshots.find((s) => s.matches(name))!, path: [] },
      ];
      const seen = new Set(frontier.map(({ snapshot }) => serializeState(snapshot)));
      let found: { snapshot: PlayerSnapshot; path: string[] } | undefined;
      while (!found && frontier.length) {
        const next: typeof frontier = [];
        for (const { snapshot, path } of frontier.filter(({ snapshot }) => snapshot.status === 'active')) {
          for (const event of events) {
            const to = playerMachine.transition(snapshot, event, scope);
            const key = serializeState(to);
            if (seen.has(key)) continue;
            seen.add(key);
            const step = { snapshot: to, path: [...path, event.type] };
            if (to.matches('stopped')) found ??= step;
            next.push(step);
          }
        }
        frontier = next;
      }
      expect(found, `a path from ${name}`).to.not.equal(undefined);
      expect(found!.snapshot.status).to.equal('done');
      expect(found!.path.length, `${name}: ${found!.path.join(' → ')}`).to.be.at.most(3);
    }
  });

  it('runs nothing in stopped', () => {
    for (const w of everything) {
      const stopped = w.snapshots.filter((s) => s.matches('stopped'));
      expect(stopped.length).to.be.greaterThan(0);
      for (const s of stopped) {
        expect(s.status).to.equal('done');
        expect(Object.keys(s.children)).to.deep.equal([]);
      }
    }
  });

  it('never leaves a healthy fallback for the primary unless prefer-primary is set', () => {
    const sticky = walks['fallback, sticky']!;
    // Leaving is allowed only once the fallback itself failed: its FAILED (or STOPPED) event, or
    // while a candidate is being tried after that failure.
    const returns = sticky.steps.filter(
      ([from, event, to]) =>
        from.matches('fallback') &&
        to.matches('primary') &&
        !from.matches({ fallback: { health: 'failing' } }) &&
        !(
          (event.type === 'SOURCE.FAILED' || event.type === 'SOURCE.STOPPED') &&
          sameEndpoint(event as unknown as EndpointRef, from.context.onScreen)
        ),
    );
    expect(returns.map(([, e]) => e.type)).to.deep.equal([]);
    const prefer = walks['fallback, prefer-primary']!;
    expect(
      prefer.steps.some(([from, e, to]) => from.matches('fallback') && to.matches('primary') && e.type.startsWith('xstate.after.')),
    ).to.equal(true);
  });

  it('only puts an endpoint on screen that passed a probe, showed a frame, or was seen live for the window', () => {
    for (const w of everything) {
      for (const [from, event, to] of w.steps) {
        const target = to.context.onScreen;
        if (
          !target ||
          to.matches('prelive') ||
          to.matches('stopped') ||
          (sameEndpoint(from.context.onScreen, target) && topLevel(from) === topLevel(to))
        )
          continue;
        const wasNext = sameEndpoint(from.context.next, target);
        const passed =
          (event.type.startsWith('xstate.done.actor.') && (event.output as ProbeVerdict).status === 'live') ||
          // The target showed a frame in its hidden video: the strongest proof it is live.
          (event.type === 'SOURCE.READY' && sameEndpoint(event as unknown as EndpointRef, target)) ||
          // Proven before this step (its probe or its frame), switched to now.
          (wasNext && (from.context.nextReady || from.context.nextProbed)) ||
          // A prelive round whose live answer was recorded before the deciding one.
          from.context.verdicts[target.role]?.status === 'live';
        expect(passed, `${topLevel(from)} → ${keyOf(target)} on ${event.type}`).to.equal(true);
      }
    }
  });

  it('never puts a benched endpoint (after a path failure) on screen except through a fresh probe round', () => {
    const w = walks['ladders, prefer-primary']!;
    for (const [from, event, to] of w.steps) {
      const target = to.context.onScreen;
      if (!target || from.matches('prelive') || sameEndpoint(from.context.onScreen, target)) continue;
      expect(!!from.context.benched[keyOf(target)], `${keyOf(target)} on ${event.type}`).to.equal(false);
    }
  });
});
