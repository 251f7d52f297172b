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
import { getAdjacencyMap, getShortestPaths, getStateNodes } from 'xstate/graph';
import { ActorIds, playerMachine, type PlayerSnapshot } from '../../src/machine/index.js';
import type { MachineInput, ProbeVerdict, SourceRole } from '../../src/machine/types.js';

const PUBLIC_STATES = ['prelive', 'primary', 'fallback', 'stopped'] as const;

const verdicts: ProbeVerdict[] = [
  { status: 'live', targetDurationMs: 2000 },
  { status: 'not-live', cause: 'HTTP 503', retryAfterMs: 3000 },
  { status: 'stopped', cause: '#EXT-X-ENDLIST' },
];
const probeIds = [ActorIds.PROBE_PRIMARY, ActorIds.PROBE_FALLBACK, ActorIds.FAILOVER_PROBE, ActorIds.RECOVERY_PROBE];
const roles: SourceRole[] = ['primary', 'fallback'];

/** Every event the machine can receive, from its actors or from XState itself. */
const allEvents: AnyEventObject[] = [
  ...roles.flatMap((role) => [
    { type: 'SOURCE.FIRST_FRAME', role },
    { type: 'SOURCE.FAILED', role, cause: `${role} failed` },
    { type: 'SOURCE.STOPPED', role, cause: `${role} stopped` },
    { type: 'SOURCE.SUSPECT', role, cause: `${role} suspect` },
    { type: 'SOURCE.READY', role },
    { type: 'SOURCE.LIVE', role },
    { type: 'SOURCE.DOWN', role, cause: `${role} down` },
  ]),
  ...probeIds.flatMap((id) => [
    ...verdicts.map((output) => ({ type: `xstate.done.actor.${id}`, actorId: id, output })),
    { type: `xstate.error.actor.${id}`, actorId: id, error: new Error('probe threw') },
  ]),
  { type: 'xstate.after.backoff.player.prelive.waiting' },
  { type: 'xstate.after.hysteresis.player.fallback.health.recovering' },
  { type: 'xstate.after.hysteresis.player.primary.view.playing' },
  { type: 'xstate.after.hysteresis.player.fallback.view.playing' },
];
// The graph API is typed with the machine's own events; XState's internal ones are extra.
const events = allEvents as unknown as EventFromLogic<typeof playerMachine>[];

/**
 * State identity for the traversal: the state value plus the context that guards read
 * (verdicts of the current round, fast start). The attempt counter and causes are left
 * out: they only feed delays and texts, and would make the graph infinite.
 */
function serializeState(snapshot: PlayerSnapshot): string {
  const { value, context, status } = snapshot;
  return JSON.stringify({
    value,
    status,
    pv: context.primaryVerdict?.status ?? null,
    fv: context.fallbackVerdict?.status ?? null,
    fast: context.fastStart,
    failed: context.failedRecently,
  });
}

/** The configurations that together open every branch (fallback or none, sticky or not). */
const inputs: Record<string, MachineInput> = {
  'fallback, prefer-primary': {
    primary: { url: 'https://a.test/p.m3u8', kind: 'hls' },
    fallback: { url: 'https://b.test/whep', kind: 'whep' },
    preferPrimary: true,
    timing: { random: () => 0.5 },
  },
  'fallback, sticky': {
    primary: { url: 'https://a.test/p.m3u8', kind: 'hls' },
    fallback: { url: 'https://b.test/whep', kind: 'whep' },
    preferPrimary: false,
    timing: { random: () => 0.5 },
  },
  'fallback, warm standby': {
    primary: { url: 'https://a.test/p.m3u8', kind: 'hls' },
    fallback: { url: 'https://b.test/whep', kind: 'whep' },
    preferPrimary: false,
    standby: 'warm',
    timing: { random: () => 0.5 },
  },
  'no fallback': {
    primary: { url: 'https://a.test/p.m3u8', kind: 'hls' },
    fallback: null,
    preferPrimary: false,
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
  /** [from, event, to] for every non-trivial step. */
  steps: Array<[PlayerSnapshot, AnyEventObject, PlayerSnapshot]>;
  taken: Set<AnyTransitionDefinition>;
}

function walk(input: MachineInput): Walk {
  const taken = new Set<AnyTransitionDefinition>();
  const scope = recordingScope(taken);
  const initial = playerMachine.getInitialSnapshot(scope, input);
  const adjacency = getAdjacencyMap(playerMachine, {
    input,
    fromState: initial,
    events,
    serializeState: (s) => serializeState(s as PlayerSnapshot),
    // A final snapshot takes no events: don't feed it any.
    stopWhen: (s) => s.status !== 'active',
    limit: 100_000,
  });
  const snapshots: PlayerSnapshot[] = [];
  const steps: Walk['steps'] = [];
  for (const { state, transitions } of Object.values(adjacency)) {
    snapshots.push(state);
    const edges = Object.values(transitions) as Array<{ event: EventFromLogic<typeof playerMachine> }>;
    for (const { event } of edges) {
      // Replay the step with the recording scope to learn which transitions it took.
      const next = playerMachine.transition(state, event, scope);
      steps.push([state, event as AnyEventObject, next]);
    }
  }
  return { snapshots, steps, taken };
}

function allTransitions(): AnyTransitionDefinition[] {
  const nodes: AnyStateNode[] = [playerMachine.root, ...getStateNodes(playerMachine.root)];
  return nodes.flatMap((node) => [...[...node.transitions.values()].flat(), ...(node.always ?? [])]);
}

function describeTransition(t: AnyTransitionDefinition): string {
  const guard = typeof t.guard === 'string' ? t.guard : t.guard ? 'guard' : 'always';
  const targets = t.target?.map((n) => n.id).join(',') ?? '(self)';
  return `${t.source.id} --${t.eventType || 'eventless'} [${guard}]--> ${targets}`;
}

const topLevel = (s: PlayerSnapshot) => PUBLIC_STATES.find((name) => s.matches(name))!;

describe('player machine graph', () => {
  const walks = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, walk(input)]));
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
    expect(all.filter((id) => !reached.has(id)), 'unreachable state nodes').to.deep.equal([]);
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

  it('finds shortest paths to stopped from a snapshot in each public state', () => {
    const input = inputs['fallback, sticky']!;
    const w = walks['fallback, sticky']!;
    for (const name of ['prelive', 'primary', 'fallback'] as const) {
      const from = w.snapshots.find((s) => s.matches(name))!;
      const paths = getShortestPaths(playerMachine, {
        input,
        fromState: from,
        events,
        serializeState: (s) => serializeState(s as PlayerSnapshot),
        toState: (s) => (s as PlayerSnapshot).matches('stopped'),
      });
      expect(paths.length, `path from ${name}`).to.be.greaterThan(0);
      expect(paths.every((p) => p.state.status === 'done')).to.equal(true);
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
    // Leaving is allowed only once the fallback itself failed: its FAILED event, or while
    // the primary is being probed after that failure.
    const returns = sticky.steps.filter(
      ([from, event, to]) =>
        from.matches('fallback') &&
        to.matches('primary') &&
        !from.matches({ fallback: { health: 'probingPrimary' } }) &&
        !from.matches({ fallback: { health: 'strictPrimary' } }) &&
        !(event.type === 'SOURCE.FAILED' && 'role' in event && event.role === 'fallback'),
    );
    expect(returns.map(([, e]) => e.type)).to.deep.equal([]);
    const prefer = walks['fallback, prefer-primary']!;
    expect(
      prefer.steps.some(([from, e, to]) => from.matches('fallback') && to.matches('primary') && e.type.startsWith('xstate.after.')),
    ).to.equal(true);
  });

  it('only switches to a source that passed a probe or a watch', () => {
    for (const w of everything) {
      for (const [from, event, to] of w.steps) {
        const before = topLevel(from);
        const after = topLevel(to);
        if (before === after || (after !== 'primary' && after !== 'fallback')) continue;
        const warmedTarget = { [before]: { standby: { active: 'ready' } } } as never;
        const passed =
          (event.type.startsWith('xstate.done.actor.') && (event.output as ProbeVerdict).status === 'live') ||
          // The target showed a frame in its hidden video: the strongest proof it is live.
          (event.type === 'SOURCE.READY' && 'role' in event && event.role === after) ||
          // The current source failed while the target was already playing, hidden.
          (event.type === 'SOURCE.FAILED' && from.matches(warmedTarget)) ||
          // The primary's not-live answer arrives after the fallback's live one was recorded.
          (after === 'fallback' && from.context.fallbackVerdict?.status === 'live') ||
          // The hysteresis timer only runs after the watcher reported the primary live.
          (event.type.startsWith('xstate.after.hysteresis') && from.matches({ fallback: { health: 'recovering' } }));
        expect(passed, `${before} → ${after} on ${event.type}`).to.equal(true);
      }
    }
  });
});
