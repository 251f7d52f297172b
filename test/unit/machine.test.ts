// The failover machine driven by fake actors: scripted probes, and play/watch fakes whose
// `sendBack` the test uses to report SOURCE.* events. Time is a SimulatedClock.
import { expect } from '@open-wc/testing';
import { createActor, fromCallback, fromPromise, SimulatedClock, type EventObject } from 'xstate';
import { Reasons } from '../../src/constants.js';
import { playerMachine, toPublicView, type PlayerSnapshot } from '../../src/machine/index.js';
import type {
  MachineInput,
  PlayInput,
  ProbeInput,
  ProbeVerdict,
  SourceDescriptor,
  SourceEvent,
  SourceRole,
  StreamVerdict,
  WatchInput,
} from '../../src/machine/types.js';

const PRIMARY: SourceDescriptor = { url: 'https://origin.test/primary.m3u8', kind: 'hls' };
const FALLBACK: SourceDescriptor = { url: 'https://backup.test/fallback.m3u8', kind: 'hls' };

const LIVE: ProbeVerdict = { status: 'live', targetDurationMs: 2000 };
const notLive = (cause = 'playlist HTTP 404', retryAfterMs?: number): ProbeVerdict =>
  retryAfterMs === undefined ? { status: 'not-live', cause } : { status: 'not-live', cause, retryAfterMs };
const STOPPED: ProbeVerdict = { status: 'stopped', cause: '#EXT-X-ENDLIST' };

/** The probe of a one-endpoint stream, as the machine asks for it. */
function probeInput(role: SourceRole, confirmAdvance: boolean): ProbeInput {
  return { role, steps: [{ role, index: 0, source: role === 'primary' ? PRIMARY : FALLBACK }], confirmAdvance };
}

interface FakeProbe {
  input: ProbeInput;
  settled: boolean;
  aborted: boolean;
  resolve(verdict: StreamVerdict): void;
  reject(error: unknown): void;
}

interface FakeCallback<TInput> {
  input: TInput;
  stopped: boolean;
  send(event: SourceEvent): void;
}

/** Lets promise callbacks and the actor's mailbox run. */
const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

interface HarnessOptions {
  fallback?: SourceDescriptor | null;
  /** Whole ladders (override `fallback`). */
  ladders?: { primary: SourceDescriptor[]; fallback: SourceDescriptor[] };
  preferPrimary?: boolean;
  standby?: 'cold' | 'warm';
  /** The jitter source (default 0: every backoff is 40 % of its window, no spread). */
  random?: () => number;
}

function harness(options: HarnessOptions = {}) {
  const probes: FakeProbe[] = [];
  const players: FakeCallback<PlayInput>[] = [];
  const warmers: FakeCallback<PlayInput>[] = [];
  const watchers: FakeCallback<WatchInput>[] = [];
  const clock = new SimulatedClock();

  const machine = playerMachine.provide({
    actors: {
      probe: fromPromise<StreamVerdict, ProbeInput>(
        ({ input, signal }) =>
          new Promise<StreamVerdict>((resolve, reject) => {
            const probe: FakeProbe = {
              input,
              settled: false,
              aborted: false,
              resolve: (v) => {
                probe.settled = true;
                resolve(v);
              },
              reject: (e) => {
                probe.settled = true;
                reject(e);
              },
            };
            signal.addEventListener('abort', () => {
              probe.aborted = true;
            });
            probes.push(probe);
          }),
      ),
      play: fromCallback<EventObject, PlayInput>(({ input, sendBack }) => {
        const fake: FakeCallback<PlayInput> = { input, stopped: false, send: sendBack };
        players.push(fake);
        return () => {
          fake.stopped = true;
        };
      }),
      warm: fromCallback<EventObject, PlayInput>(({ input, sendBack }) => {
        const fake: FakeCallback<PlayInput> = { input, stopped: false, send: sendBack };
        warmers.push(fake);
        return () => {
          fake.stopped = true;
        };
      }),
      watch: fromCallback<EventObject, WatchInput>(({ input, sendBack }) => {
        const fake: FakeCallback<WatchInput> = { input, stopped: false, send: sendBack };
        watchers.push(fake);
        return () => {
          fake.stopped = true;
        };
      }),
    },
  });

  const input: MachineInput = {
    primary: options.ladders?.primary ?? [PRIMARY],
    fallback: options.ladders?.fallback ?? (options.fallback === undefined ? [FALLBACK] : options.fallback ? [options.fallback] : []),
    preferPrimary: options.preferPrimary ?? false,
    standby: options.standby,
    // random 0: every backoff is exactly 40 % of its window (400, 800, 1600, 3200, 6400 ms).
    timing: { random: options.random ?? (() => 0), preferPrimaryAfterMs: 15000, failoverSpreadMs: 3000 },
  };
  const actor = createActor(machine, { input, clock });
  const seen: PlayerSnapshot[] = [];
  actor.subscribe((s) => seen.push(s));
  actor.start();

  const pending = (role: ProbeInput['role']) => {
    const open = probes.filter((p) => p.input.role === role && !p.settled && !p.aborted);
    expect(open, `exactly one open ${role} probe`).to.have.length(1);
    return open[0]!;
  };

  return {
    actor,
    clock,
    probes,
    players,
    warmers,
    watchers,
    seen,
    pending,
    snap: () => actor.getSnapshot(),
    view: () => toPublicView(actor.getSnapshot()),
    /** Answers the open probe of `role` (for its first endpoint), then lets the machine react. */
    async answer(role: ProbeInput['role'], verdict: ProbeVerdict | Error, index = pending(role).input.steps[0]!.index) {
      const probe = pending(role);
      if (verdict instanceof Error) probe.reject(verdict);
      else probe.resolve({ ...verdict, index });
      await flush();
    },
    async advance(ms: number) {
      clock.increment(ms);
      await flush();
    },
    player: (role: PlayInput['role']) => {
      const live = players.filter((p) => p.input.role === role && !p.stopped);
      expect(live, `exactly one running ${role} player`).to.have.length(1);
      return live[0]!;
    },
    openProbes: () => probes.filter((p) => !p.settled && !p.aborted),
    /** The running warm (hidden) engines. */
    warming: () => warmers.filter((w) => !w.stopped),
  };
}

type Harness = ReturnType<typeof harness>;

async function toPrimary(h: Harness) {
  await h.answer('primary', LIVE);
  expect(h.view().state).to.equal('primary');
}

async function toFallback(h: Harness) {
  await h.answer('primary', notLive());
  await h.answer('fallback', LIVE);
  expect(h.view().state).to.equal('fallback');
}

describe('player machine', () => {
  describe('prelive', () => {
    it('starts in prelive, loading, and probes both sources in parallel with a fast first probe', () => {
      const h = harness();
      const view = h.view();
      expect(view).to.deep.equal({
        state: 'prelive',
        reason: Reasons.START,
        loading: true,
        playing: false,
        onScreen: null,
        offline: false,
      });
      expect(h.probes.map((p) => p.input)).to.deep.equal([probeInput('primary', false), probeInput('fallback', false)]);
      expect(h.players).to.have.length(0);
    });

    it('goes to primary as soon as the primary is live, without waiting for the fallback probe', async () => {
      const h = harness();
      const fallbackProbe = h.pending('fallback');
      await h.answer('primary', LIVE);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.PRIMARY_LIVE, onScreen: { role: 'primary', index: 0 } });
      expect(h.view().cause).to.equal(undefined);
      expect(fallbackProbe.aborted, 'the fallback probe is stopped').to.equal(true);
      expect(h.player('primary').input).to.deep.equal({ role: 'primary', index: 0, source: PRIMARY, targetDurationMs: 2000 });
    });

    it('keeps loading in primary until the first frame, then plays', async () => {
      const h = harness();
      await toPrimary(h);
      expect(h.view()).to.deep.include({ loading: true, playing: false });
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'fallback', index: 0 });
      await flush();
      expect(h.view().loading, 'a frame of the other source does not count').to.equal(true);
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      await flush();
      expect(h.view()).to.deep.include({ loading: false, playing: true, onScreen: { role: 'primary', index: 0 } });
    });

    it('stops for good when the primary probe says stopped', async () => {
      const h = harness();
      await h.answer('primary', STOPPED);
      expect(h.view()).to.deep.equal({
        state: 'stopped',
        reason: Reasons.PRIMARY_STOPPED,
        cause: '#EXT-X-ENDLIST',
        loading: false,
        playing: false,
        onScreen: null,
        offline: false,
      });
      expect(h.snap().status).to.equal('done');
      expect(h.probes[1]!.aborted).to.equal(true);
    });

    it('a stopped fallback only counts as not live', async () => {
      const h = harness();
      await h.answer('fallback', STOPPED);
      expect(h.view().state).to.equal('prelive');
      await h.answer('primary', notLive());
      expect(h.view().state).to.equal('prelive');
      expect(h.snap().matches({ prelive: 'waiting' })).to.equal(true);
    });

    it('plays the fallback when it is live and the primary is not (fallback answers first)', async () => {
      const h = harness();
      await h.answer('fallback', LIVE);
      expect(h.view().state, 'the primary is preferred: wait for its answer').to.equal('prelive');
      expect(h.view().loading).to.equal(true);
      await h.answer('primary', notLive('WHEP POST 503'));
      expect(h.view()).to.deep.include({
        state: 'fallback',
        reason: Reasons.FALLBACK_LIVE,
        cause: 'WHEP POST 503',
        onScreen: { role: 'fallback', index: 0 },
        loading: true,
      });
      expect(h.player('fallback').input).to.deep.equal({ role: 'fallback', index: 0, source: FALLBACK, targetDurationMs: 2000 });
      expect(h.watchers.map((w) => w.input)).to.deep.equal([{ steps: [{ role: 'primary', index: 0, source: PRIMARY }] }]);
    });

    it('plays the fallback when it is live and the primary is not (primary answers first)', async () => {
      const h = harness();
      await h.answer('primary', notLive());
      expect(h.view().state).to.equal('prelive');
      await h.answer('fallback', LIVE);
      expect(h.view()).to.deep.include({ state: 'fallback', reason: Reasons.FALLBACK_LIVE, cause: 'playlist HTTP 404' });
    });

    it('prefers the primary when both are live, whatever the order of answers', async () => {
      const h = harness();
      await h.answer('fallback', LIVE);
      await h.answer('primary', LIVE);
      expect(h.view().state).to.equal('primary');
    });

    it('retries after the backoff delay, with confirmAdvance from the second round on', async () => {
      const h = harness();
      await h.answer('primary', notLive());
      await h.answer('fallback', notLive());
      expect(h.view()).to.deep.include({ state: 'prelive', loading: false, reason: Reasons.START });
      expect(h.openProbes()).to.have.length(0);

      await h.advance(399);
      expect(h.openProbes(), 'not before the delay').to.have.length(0);
      await h.advance(1);
      expect(h.openProbes().map((p) => p.input)).to.deep.equal([probeInput('primary', true), probeInput('fallback', true)]);
      expect(h.view().loading, 'only the very first round shows the spinner').to.equal(false);

      // Second failed round: the window doubles.
      await h.answer('primary', notLive());
      await h.answer('fallback', notLive());
      await h.advance(799);
      expect(h.openProbes()).to.have.length(0);
      await h.advance(1);
      expect(h.openProbes()).to.have.length(2);

      await h.answer('primary', LIVE);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.PRIMARY_LIVE });
    });

    it('honours the largest Retry-After of the round', async () => {
      const h = harness();
      await h.answer('primary', notLive('HTTP 503', 3000));
      await h.answer('fallback', notLive('WHEP 409', 7000));
      await h.advance(6999);
      expect(h.openProbes()).to.have.length(0);
      await h.advance(1);
      expect(h.openProbes()).to.have.length(2);
    });

    it('counts a rejected probe as not live, with the error as cause', async () => {
      const h = harness();
      await h.answer('fallback', LIVE);
      await h.answer('primary', new Error('network down'));
      expect(h.view()).to.deep.include({ state: 'fallback', reason: Reasons.FALLBACK_LIVE, cause: 'Error: network down' });

      const h2 = harness();
      await h2.answer('primary', new TypeError('Failed to fetch'));
      await h2.answer('fallback', new Error('refused'));
      expect(h2.snap().matches({ prelive: 'waiting' })).to.equal(true);
      await h2.advance(500);
      expect(h2.openProbes()).to.have.length(2);
    });

    it('rejects from the placeholder probe when no probe is provided, and keeps retrying', async () => {
      const clock = new SimulatedClock();
      const actor = createActor(playerMachine, {
        input: { primary: [PRIMARY], fallback: [], preferPrimary: false, timing: { random: () => 0 } },
        clock,
      }).start();
      await flush();
      expect(actor.getSnapshot().matches({ prelive: 'waiting' })).to.equal(true);
      expect(actor.getSnapshot().status).to.equal('active');
      actor.stop();
    });

    it('defaults its timing (1 s base, 36 s cap, 15 s hysteresis, 3 s spread, Math.random)', () => {
      const actor = createActor(playerMachine, {
        input: { primary: [PRIMARY], fallback: [], preferPrimary: false, timing: { preferPrimaryAfterMs: undefined } },
      });
      expect(actor.getSnapshot().context.timing).to.deep.equal({
        retryBaseMs: 1000,
        retryCapMs: 36000,
        preferPrimaryAfterMs: 15000,
        failoverSpreadMs: 3000,
        reconnectJitterMs: 500,
        random: Math.random,
      });
    });

    it('without a fallback, probes only the primary and goes on retrying', async () => {
      const h = harness({ fallback: null });
      expect(h.probes.map((p) => p.input.role)).to.deep.equal(['primary']);
      await h.answer('primary', notLive());
      expect(h.snap().matches({ prelive: 'waiting' })).to.equal(true);
      await h.advance(500);
      expect(h.probes.map((p) => p.input.role)).to.deep.equal(['primary', 'primary']);
      await h.answer('primary', LIVE);
      expect(h.view().state).to.equal('primary');
    });
  });

  describe('primary', () => {
    it('goes to stopped when the primary player reports a deliberate stop', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.STOPPED', role: 'primary', index: 0, cause: '#EXT-X-ENDLIST' });
      await flush();
      expect(h.view()).to.deep.include({ state: 'stopped', reason: Reasons.PRIMARY_STOPPED, cause: '#EXT-X-ENDLIST' });
      expect(h.players.every((p) => p.stopped)).to.equal(true);
    });

    it('on failure probes the fallback (confirmed) while the primary keeps playing, then switches', async () => {
      const h = harness();
      await toPrimary(h);
      const primaryPlayer = h.player('primary');
      primaryPlayer.send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      primaryPlayer.send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'playlist HTTP 404' });
      await flush();
      expect(h.view()).to.deep.include({ state: 'primary', playing: true, onScreen: { role: 'primary', index: 0 } });
      expect(h.pending('fallback').input).to.deep.equal(probeInput('fallback', true));
      expect(primaryPlayer.stopped, 'the buffer may still be on screen').to.equal(false);

      await h.answer('fallback', LIVE);
      expect(h.view()).to.deep.include({
        state: 'fallback',
        reason: Reasons.PRIMARY_FAILED,
        cause: 'playlist HTTP 404',
        loading: true,
        onScreen: { role: 'fallback', index: 0 },
        offline: false,
      });
      expect(primaryPlayer.stopped).to.equal(true);
      expect(h.player('fallback').input.source).to.equal(FALLBACK);
      expect(h.watchers.filter((w) => !w.stopped)).to.have.length(1);
    });

    it('on failure with the fallback not live goes to prelive, keeping the cause, and retries after a backoff', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'frozen playlist' });
      await flush();
      await h.answer('fallback', notLive('WHEP 409', 2500));
      expect(h.view()).to.deep.equal({
        state: 'prelive',
        reason: Reasons.PRIMARY_FAILED,
        cause: 'frozen playlist',
        loading: false,
        playing: false,
        onScreen: null,
        offline: false,
      });
      expect(h.players.every((p) => p.stopped)).to.equal(true);
      await h.advance(2499);
      expect(h.openProbes(), "the fallback's Retry-After is honoured").to.have.length(0);
      await h.advance(1);
      expect(h.openProbes().map((p) => p.input.confirmAdvance)).to.deep.equal([true, true]);
    });

    it('a failover probe that rejects counts as not live', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'fatal hls error' });
      await flush();
      await h.answer('fallback', new Error('boom'));
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.PRIMARY_FAILED, cause: 'fatal hls error' });
    });

    it('a stopped fallback during failover means prelive, not stopped', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'x' });
      await flush();
      await h.answer('fallback', STOPPED);
      expect(h.view().state).to.equal('prelive');
    });

    it('without a fallback goes straight to prelive on failure', async () => {
      const h = harness({ fallback: null });
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'playlist HTTP 404' });
      await flush();
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.PRIMARY_FAILED, cause: 'playlist HTTP 404' });
      expect(h.openProbes()).to.have.length(0);
      await h.advance(500);
      expect(h.openProbes().map((p) => p.input)).to.deep.equal([probeInput('primary', true)]);
    });

    it('a primary stop during the failover probe still ends everything', async () => {
      const h = harness();
      await toPrimary(h);
      const player = h.player('primary');
      player.send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'x' });
      await flush();
      const failover = h.pending('fallback');
      player.send({ type: 'SOURCE.STOPPED', role: 'primary', index: 0, cause: '#EXT-X-ENDLIST' });
      await flush();
      expect(h.view()).to.deep.include({ state: 'stopped', reason: Reasons.PRIMARY_STOPPED });
      expect(failover.aborted).to.equal(true);
      expect(player.stopped).to.equal(true);
    });

    it('ignores SUSPECT, events of the other role and repeated failures', async () => {
      const h = harness();
      await toPrimary(h);
      const player = h.player('primary');
      player.send({ type: 'SOURCE.SUSPECT', role: 'primary', index: 0, cause: 'stall' });
      player.send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'stale' });
      player.send({ type: 'SOURCE.STOPPED', role: 'fallback', index: 0, cause: 'stale' });
      await flush();
      expect(h.snap().matches({ primary: { health: 'steady' } })).to.equal(true);
      expect(h.openProbes()).to.have.length(0);

      player.send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'a' });
      player.send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'b' });
      await flush();
      expect(h.openProbes(), 'one failover probe, not one per report').to.have.length(1);
    });
  });

  describe('fallback', () => {
    it('stops when the watcher sees the primary stopped, even while the fallback plays fine', async () => {
      const h = harness();
      await toFallback(h);
      h.player('fallback').send({ type: 'SOURCE.FIRST_FRAME', role: 'fallback', index: 0 });
      await flush();
      expect(h.view()).to.deep.include({ playing: true, loading: false });
      h.watchers[0]!.send({ type: 'SOURCE.STOPPED', role: 'primary', index: 0, cause: 'WHEP inactive: stopped' });
      await flush();
      expect(h.view()).to.deep.include({ state: 'stopped', reason: Reasons.PRIMARY_STOPPED, cause: 'WHEP inactive: stopped' });
    });

    for (const type of ['SOURCE.FAILED', 'SOURCE.STOPPED'] as const) {
      it(`${type} of the fallback probes the primary (confirmed); live → primary`, async () => {
        const h = harness();
        await toFallback(h);
        const fallbackPlayer = h.player('fallback');
        fallbackPlayer.send({ type, role: 'fallback', index: 0, cause: 'ICE failed' });
        await flush();
        expect(h.view().state).to.equal('fallback');
        expect(fallbackPlayer.stopped).to.equal(false);
        expect(h.pending('primary').input).to.deep.equal(probeInput('primary', true));
        await h.answer('primary', { status: 'live', targetDurationMs: 4000 });
        expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.FALLBACK_FAILED, cause: 'ICE failed' });
        expect(h.player('primary').input.targetDurationMs).to.equal(4000);
        expect(fallbackPlayer.stopped).to.equal(true);
        expect(
          h.watchers.every((w) => w.stopped || w.input.steps.length === 0),
          'nothing watched',
        ).to.equal(true);
      });
    }

    it('fallback failed and primary not live → prelive', async () => {
      const h = harness();
      await toFallback(h);
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'no frames' });
      await flush();
      await h.answer('primary', notLive());
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.FALLBACK_FAILED, cause: 'no frames' });
      expect([...h.players, ...h.watchers].every((a) => a.stopped)).to.equal(true);
    });

    it('fallback failed and the recovery probe rejects → prelive', async () => {
      const h = harness();
      await toFallback(h);
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'no frames' });
      await flush();
      await h.answer('primary', new Error('offline'));
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.FALLBACK_FAILED });
    });

    it('fallback failed and primary stopped → stopped', async () => {
      const h = harness();
      await toFallback(h);
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'no frames' });
      await flush();
      await h.answer('primary', STOPPED);
      expect(h.view()).to.deep.include({ state: 'stopped', reason: Reasons.PRIMARY_STOPPED, cause: '#EXT-X-ENDLIST' });
    });

    it('is sticky by default: a recovered primary does not pull it away from a healthy fallback', async () => {
      const h = harness();
      await toFallback(h);
      h.watchers[0]!.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      await h.advance(60_000);
      expect(h.view()).to.deep.include({ state: 'fallback', reason: Reasons.FALLBACK_LIVE });
      expect(h.openProbes()).to.have.length(0);
    });

    it('prefer-primary returns to the primary after the hysteresis window', async () => {
      const h = harness({ preferPrimary: true });
      await toFallback(h);
      const watcher = h.watchers[0]!;
      watcher.send({ type: 'SOURCE.LIVE', role: 'fallback', index: 0 });
      await flush();
      await h.advance(20_000);
      expect(h.view().state, 'only the primary watcher counts').to.equal('fallback');

      watcher.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      h.warming()[0]!.send({ type: 'SOURCE.READY', role: 'primary', index: 0 });
      await flush();
      await h.advance(14_999);
      expect(h.view().state).to.equal('fallback');
      watcher.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      await h.advance(1);
      expect(h.view()).to.deep.include({
        state: 'primary',
        reason: Reasons.PRIMARY_RECOVERED,
        onScreen: { role: 'primary', index: 0 },
      });
      expect(h.view().cause).to.equal(undefined);
      expect(h.player('primary').input).to.deep.equal({ role: 'primary', index: 0, source: PRIMARY, targetDurationMs: undefined });
      expect(watcher.stopped).to.equal(true);
    });

    it('prefer-primary: DOWN during the window cancels it, and LIVE starts a fresh one', async () => {
      const h = harness({ preferPrimary: true });
      await toFallback(h);
      const watcher = h.watchers[0]!;
      watcher.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      await h.advance(10_000);
      watcher.send({ type: 'SOURCE.DOWN', role: 'primary', index: 0, cause: 'playlist HTTP 404' });
      await flush();
      await h.advance(10_000);
      expect(h.view().state, 'a flapping primary is not switched to').to.equal('fallback');

      watcher.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      h.warming()[0]!.send({ type: 'SOURCE.READY', role: 'primary', index: 0 });
      await flush();
      await h.advance(14_000);
      expect(h.view().state).to.equal('fallback');
      await h.advance(1_000);
      expect(h.view().state).to.equal('primary');
    });

    it('prefer-primary: a failure of the hidden primary during the window cancels it', async () => {
      const h = harness({ preferPrimary: true });
      await toFallback(h);
      const watcher = h.watchers[0]!;
      watcher.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      await h.advance(5_000);
      // Hung segments or a short freeze: the watcher's playlist looks fine, the video does not.
      h.warming()[0]!.send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'buffer exhausted' });
      await flush();
      expect(h.warming(), 'the hidden primary is released').to.have.length(0);
      await h.advance(20_000);
      expect(h.view().state, 'no return to a primary that just failed').to.equal('fallback');
      expect(h.snap().context.failedRecently['primary/0']).to.equal(true);

      watcher.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      h.warming()[0]!.send({ type: 'SOURCE.READY', role: 'primary', index: 0 });
      await flush();
      await h.advance(15_000);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.PRIMARY_RECOVERED });
    });

    it('prefer-primary: no return when the hidden primary never showed a frame in the window', async () => {
      const h = harness({ preferPrimary: true });
      await toFallback(h);
      h.watchers[0]!.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      await h.advance(15_000);
      expect(h.view().state).to.equal('fallback');
      expect(h.snap().matches({ fallback: { health: 'steady' } })).to.equal(true);
    });

    it('prefer-primary: a fallback failure during the window probes the primary instead', async () => {
      const h = harness({ preferPrimary: true });
      await toFallback(h);
      h.watchers[0]!.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'x' });
      await flush();
      expect(h.pending('primary').input.confirmAdvance).to.equal(true);
      await h.advance(20_000);
      expect(h.view().state, 'the probe decides, not the expired window').to.equal('fallback');
      await h.answer('primary', LIVE);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.FALLBACK_FAILED });
    });
  });

  describe('backoff counter', () => {
    it('resets when a source puts a frame on screen', async () => {
      const h = harness({ fallback: null });
      // Two failed rounds: the next window would be 2000 ms.
      await h.answer('primary', notLive());
      await h.advance(500);
      await h.answer('primary', notLive());
      await h.advance(1000);
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'x' });
      await flush();
      await h.advance(399);
      expect(h.openProbes()).to.have.length(0);
      await h.advance(1);
      expect(h.openProbes(), 'back to the first window').to.have.length(1);
    });

    it('keeps growing for a source that probes live but never shows a frame', async () => {
      const h = harness({ fallback: null });
      const delays: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        await toPrimary(h);
        h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'decode error' });
        await flush();
        let waited = 0;
        while (h.openProbes().length === 0) {
          await h.advance(200);
          waited += 200;
        }
        delays.push(waited);
      }
      expect(delays).to.deep.equal([400, 800, 1600, 3200]);
    });
  });

  describe('stopped', () => {
    it('ends every actor and starts no probe afterwards', async () => {
      const h = harness({ preferPrimary: true });
      await toFallback(h);
      h.watchers[0]!.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'x' });
      await flush();
      const recovery = h.pending('primary');
      h.watchers[0]!.send({ type: 'SOURCE.STOPPED', role: 'primary', index: 0, cause: 'inactive: stopped' });
      await flush();
      expect(h.view().state).to.equal('stopped');
      expect(
        h.players.every((p) => p.stopped),
        'players cleaned up',
      ).to.equal(true);
      expect(
        h.watchers.every((w) => w.stopped),
        'watchers cleaned up',
      ).to.equal(true);
      expect(recovery.aborted, 'probe aborted').to.equal(true);
      expect(h.snap().status).to.equal('done');
      expect(Object.keys(h.snap().children)).to.have.length(0);

      const before = { probes: h.probes.length, players: h.players.length, watchers: h.watchers.length };
      await h.advance(120_000);
      expect({ probes: h.probes.length, players: h.players.length, watchers: h.watchers.length }).to.deep.equal(before);
      expect(h.view().state).to.equal('stopped');
    });
  });

  describe('toPublicView', () => {
    it('reports state, reason, cause, tags and which video is on screen', async () => {
      const h = harness();
      await toFallback(h);
      expect(h.view()).to.deep.equal({
        state: 'fallback',
        reason: Reasons.FALLBACK_LIVE,
        cause: 'playlist HTTP 404',
        loading: true,
        playing: false,
        onScreen: { role: 'fallback', index: 0 },
        offline: false,
      });
      const states = h.seen.map((s) => toPublicView(s).state);
      expect([...new Set(states)]).to.deep.equal(['prelive', 'fallback']);
    });
  });

  describe('make before break', () => {
    const send = async (target: FakeCallback<PlayInput>, event: SourceEvent) => {
      target.send(event);
      await flush();
    };

    it('warms the fallback at the first sign of trouble and switches on failure without probing', async () => {
      const h = harness();
      await toPrimary(h);
      const primary = h.player('primary');
      await send(primary, { type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      expect(h.warming(), 'nothing warms while the primary is healthy').to.have.length(0);

      await send(primary, { type: 'SOURCE.SUSPECT', role: 'primary', index: 0, cause: 'fragLoadError' });
      expect(h.view().state, 'a suspicion alone does not switch').to.equal('primary');
      const [warm] = h.warming();
      expect(warm?.input).to.deep.include({ role: 'fallback', index: 0, source: FALLBACK });
      await send(warm!, { type: 'SOURCE.READY', role: 'fallback', index: 0 });

      const probesBefore = h.probes.length;
      await send(primary, { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'levelLoadError (HTTP 404)' });
      expect(h.view()).to.deep.include({ state: 'fallback', reason: Reasons.PRIMARY_FAILED, cause: 'levelLoadError (HTTP 404)' });
      expect(h.probes.length, 'no probe: the warm fallback already proved it is live').to.equal(probesBefore);
      expect(h.player('fallback').input.role).to.equal('fallback');
    });

    it('on a failure with nothing warm, starts the fallback and the probe together; the first frame wins', async () => {
      const h = harness();
      await toPrimary(h);
      await send(h.player('primary'), { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'playlist not advancing' });
      expect(h.view().state).to.equal('primary');
      expect(h.pending('fallback').input.confirmAdvance).to.equal(true);
      const [warm] = h.warming();
      expect(warm, 'the fallback starts at once, hidden').to.not.equal(undefined);

      await send(warm!, { type: 'SOURCE.READY', role: 'fallback', index: 0 });
      expect(h.view()).to.deep.include({ state: 'fallback', reason: Reasons.PRIMARY_FAILED, cause: 'playlist not advancing' });
      expect(h.openProbes(), 'the probe is no longer needed').to.have.length(0);
    });

    it('stops counting on a warm fallback that fails, and falls back to the probe', async () => {
      const h = harness();
      await toPrimary(h);
      const primary = h.player('primary');
      await send(primary, { type: 'SOURCE.SUSPECT', role: 'primary', index: 0, cause: 'fragLoadError' });
      const [warm] = h.warming();
      await send(warm!, { type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'WHEP POST: HTTP 404' });
      expect(h.warming(), 'the failed warm engine is released').to.have.length(0);
      expect(h.view().state).to.equal('primary');

      await send(primary, { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'levelLoadError' });
      await h.answer('fallback', notLive('WHEP POST: HTTP 404'));
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.PRIMARY_FAILED });
    });

    it('with a warm standby, keeps the fallback running all along while the primary plays', async () => {
      const h = harness({ standby: 'warm' });
      await toPrimary(h);
      const [warm] = h.warming();
      expect(warm?.input.role).to.equal('fallback');
      await send(warm!, { type: 'SOURCE.READY', role: 'fallback', index: 0 });
      await send(h.player('primary'), { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'no video frames for 1 s' });
      expect(h.view().state).to.equal('fallback');
    });

    it('a warm standby is no standby without a fallback', async () => {
      const h = harness({ standby: 'warm', fallback: null });
      await toPrimary(h);
      expect(h.warming()).to.have.length(0);
    });

    it('switches back to a primary that is already warm when the fallback fails', async () => {
      const h = harness();
      await toFallback(h);
      const fallback = h.player('fallback');
      await send(fallback, { type: 'SOURCE.SUSPECT', role: 'fallback', index: 0, cause: 'fragLoadError' });
      const [warm] = h.warming();
      expect(warm?.input.role).to.equal('primary');
      await send(warm!, { type: 'SOURCE.READY', role: 'primary', index: 0 });
      await send(fallback, { type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'levelLoadError' });
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.FALLBACK_FAILED });
    });

    it('with prefer-primary, warms the primary during the hysteresis window and stops when it goes down', async () => {
      const h = harness({ preferPrimary: true });
      await toFallback(h);
      const watcher = h.watchers.find((w) => !w.stopped)!;
      watcher.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      expect(h.warming().map((w) => w.input.role)).to.deep.equal(['primary']);
      watcher.send({ type: 'SOURCE.DOWN', role: 'primary', index: 0, cause: 'HTTP 404' });
      await flush();
      expect(h.warming()).to.have.length(0);
      expect(h.view().state).to.equal('fallback');
    });

    it('a primary that stops while warming ends everything', async () => {
      const h = harness();
      await toFallback(h);
      await send(h.player('fallback'), { type: 'SOURCE.SUSPECT', role: 'fallback', index: 0, cause: 'fragLoadError' });
      const [warm] = h.warming();
      await send(warm!, { type: 'SOURCE.STOPPED', role: 'primary', index: 0, cause: 'playlist has #EXT-X-ENDLIST' });
      expect(h.view().state).to.equal('stopped');
      expect(h.warming()).to.have.length(0);
    });
  });

  describe('switch pacing', () => {
    it('a forced switch is never held back: the fallback failing right after the switch goes back to a live primary', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'levelLoadError' });
      await flush();
      await h.answer('fallback', LIVE);
      expect(h.view().state).to.equal('fallback');
      await h.advance(2_000);
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'fragLoadError' });
      await flush();
      // The primary failed a moment ago: its probe and a frame from its hidden video decide.
      h.warming()[0]!.send({ type: 'SOURCE.READY', role: 'primary', index: 0 });
      await h.answer('primary', LIVE);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.FALLBACK_FAILED });
    });
  });

  describe('no ping-pong between broken sources', () => {
    /** primary → fallback after a primary failure; returns the harness on the fallback. */
    async function afterPrimaryFailure() {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'fragParsingError' });
      await flush();
      await h.answer('fallback', LIVE);
      expect(h.view().state).to.equal('fallback');
      return h;
    }

    it('a primary that failed recently must pass its probe AND show a frame before the player returns to it', async () => {
      const h = await afterPrimaryFailure();
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'fragParsingError' });
      await flush();
      const [warm] = h.warming();
      expect(warm?.input.role, 'the primary warms in its hidden video').to.equal('primary');
      await h.answer('primary', LIVE);
      expect(h.view().state, 'a live playlist is not enough').to.equal('fallback');

      warm!.send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'no picture within 10 s' });
      await flush();
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.FALLBACK_FAILED, cause: 'fragParsingError' });
    });

    it('returns to it once it passes its probe and shows a frame, in either order', async () => {
      const h = await afterPrimaryFailure();
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'levelLoadError' });
      await flush();
      h.warming()[0]!.send({ type: 'SOURCE.READY', role: 'primary', index: 0 });
      await flush();
      expect(h.view().state, 'a frame alone is not enough either').to.equal('fallback');
      await h.answer('primary', LIVE);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.FALLBACK_FAILED });
    });

    it('goes to prelive at once when the recently failed primary does not even pass its probe', async () => {
      const h = await afterPrimaryFailure();
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'levelLoadError' });
      await flush();
      await h.answer('primary', notLive('playlist is not advancing'));
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.FALLBACK_FAILED });
      expect(h.warming(), 'the warm primary is released').to.have.length(0);
    });

    it('a primary the watcher saw live again is switched to on its probe alone', async () => {
      const h = await afterPrimaryFailure();
      h.watchers.find((w) => !w.stopped)!.send({ type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await flush();
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'levelLoadError' });
      await flush();
      await h.answer('primary', LIVE);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.FALLBACK_FAILED });
    });

    it('a source that played for the hysteresis window counts as healthy again', async () => {
      const h = await afterPrimaryFailure();
      // Back to the primary the strict way (probe and frame), then it plays a while.
      h.player('fallback').send({ type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'x' });
      await flush();
      h.warming()[0]!.send({ type: 'SOURCE.READY', role: 'primary', index: 0 });
      await h.answer('primary', LIVE);
      expect(h.view().state).to.equal('primary');
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      await flush();
      expect(h.snap().context.failedRecently).to.deep.equal({ 'primary/0': true, 'fallback/0': true });
      await h.advance(15000);
      expect(h.snap().context.failedRecently, 'the primary proved healthy').to.deep.equal({ 'primary/0': false, 'fallback/0': true });
    });
  });

  describe('ladders (several endpoints per stream)', () => {
    const WHEP_A: SourceDescriptor = { url: 'https://a.test/whep/main', kind: 'whep' };
    const CDN_A: SourceDescriptor = { url: 'https://cdn-a.test/main/index.m3u8', kind: 'hls' };
    const CDN_B: SourceDescriptor = { url: 'https://cdn-b.test/main/index.m3u8', kind: 'hls' };
    const BACKUP_WHEP: SourceDescriptor = { url: 'https://b.test/whep/backup', kind: 'whep' };
    const BACKUP_HLS: SourceDescriptor = { url: 'https://cdn-a.test/backup/index.m3u8', kind: 'hls' };
    const ladders = { primary: [WHEP_A, CDN_A, CDN_B], fallback: [BACKUP_WHEP, BACKUP_HLS] };
    const at = (role: SourceRole, index: number) => ({ role, index });
    const send = async (target: { send(event: SourceEvent): void }, event: SourceEvent) => {
      target.send(event);
      await flush();
    };
    /** The running player of one endpoint. */
    const playerOf = (h: Harness, role: SourceRole, index: number) => {
      const live = h.players.filter((p) => p.input.role === role && p.input.index === index && !p.stopped);
      expect(live, `exactly one running ${role}/${index} player`).to.have.length(1);
      return live[0]!;
    };
    const onScreen = (h: Harness) => h.view().onScreen;

    it('probes every endpoint of both ladders in one round and plays the endpoint the probe chose', async () => {
      const h = harness({ ladders });
      expect(h.probes.map((p) => p.input)).to.deep.equal([
        {
          role: 'primary',
          steps: ladders.primary.map((source, index) => ({ role: 'primary', index, source })),
          confirmAdvance: false,
        },
        {
          role: 'fallback',
          steps: ladders.fallback.map((source, index) => ({ role: 'fallback', index, source })),
          confirmAdvance: false,
        },
      ]);
      await h.answer('primary', LIVE, 1);
      expect(h.view()).to.deep.include({ state: 'primary', onScreen: at('primary', 1) });
      expect(playerOf(h, 'primary', 1).input).to.deep.equal({ role: 'primary', index: 1, source: CDN_A, targetDurationMs: 2000 });
    });

    it("an endpoint's own failure goes to the next endpoint of the same stream: the state stays primary", async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 0);
      const whep = playerOf(h, 'primary', 0);
      await send(whep, { type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      await send(whep, { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'no picture within 5 s', scope: 'endpoint' });
      const probe = h.pending('primary');
      expect(probe.input.steps, 'the next endpoint of the same stream').to.deep.equal([{ role: 'primary', index: 1, source: CDN_A }]);
      expect(h.warming().map((w) => [w.input.role, w.input.index])).to.deep.equal([['primary', 1]]);
      await h.answer('primary', LIVE);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.PRIMARY_FAILED, onScreen: at('primary', 1) });
      expect(
        h.seen
          .map((snap) => toPublicView(snap).state)
          .filter((state) => state !== 'primary')
          .at(-1),
      ).to.equal('prelive');
      expect(whep.stopped).to.equal(true);
    });

    it("a stream's own failure skips the stream's other endpoints and goes to the other stream", async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 1);
      const cdnA = playerOf(h, 'primary', 1);
      await send(cdnA, { type: 'SOURCE.FAILED', role: 'primary', index: 1, cause: 'playlist not advancing for 6 s', scope: 'stream' });
      expect(
        h.warming().map((w) => `${w.input.role}/${w.input.index}`),
        'CDN B is not tried',
      ).to.deep.equal(['fallback/0']);
      expect(h.openProbes(), 'a WebRTC candidate is its own probe').to.have.length(0);
      await send(h.warming()[0]!, { type: 'SOURCE.READY', role: 'fallback', index: 0 });
      expect(h.view()).to.deep.include({ state: 'fallback', reason: Reasons.PRIMARY_FAILED, onScreen: at('fallback', 0) });
    });

    it('tries the candidates in order until one proves live: same stream first, then the other stream, then prelive', async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 1);
      await send(playerOf(h, 'primary', 1), { type: 'SOURCE.FAILED', role: 'primary', index: 1, cause: 'levelLoadError (HTTP 404)' });
      const order: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        // An HLS candidate is probed; a WebRTC one only warms (its session is its probe).
        const [open] = h.openProbes();
        const [warm] = h.warming();
        order.push(`${warm!.input.role}/${warm!.input.index}`);
        if (open) await h.answer(open.input.role, notLive('HTTP 503', i === 3 ? 4000 : undefined));
        else
          await send(warm!, { type: 'SOURCE.FAILED', role: warm!.input.role, index: warm!.input.index, cause: 'WHEP POST: HTTP 503' });
      }
      expect(order, 'WHEP A and CDN B of the primary, then both fallback endpoints').to.deep.equal([
        'primary/0',
        'primary/2',
        'fallback/0',
        'fallback/1',
      ]);
      expect(h.view()).to.deep.include({ state: 'prelive', reason: Reasons.PRIMARY_FAILED, cause: 'levelLoadError (HTTP 404)' });
      await h.advance(3999);
      expect(h.openProbes(), "the last candidate's Retry-After holds").to.have.length(0);
      await h.advance(1);
      expect(h.openProbes()).to.have.length(2);
    });

    it('a failure of a candidate while it warms passes over it at once', async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 1);
      await send(playerOf(h, 'primary', 1), { type: 'SOURCE.FAILED', role: 'primary', index: 1, cause: 'x' });
      const [warm] = h.warming();
      await send(warm!, { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'WHEP POST: unreachable' });
      expect(h.openProbes().map((p) => p.input.steps[0]!.index)).to.deep.equal([2]);
      expect(h.snap().context.failedRecently['primary/0']).to.equal(true);
    });

    it('warms the next endpoint of the same stream on an endpoint suspicion, and of the other stream on a stream suspicion', async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 1);
      const cdnA = playerOf(h, 'primary', 1);
      await send(cdnA, { type: 'SOURCE.SUSPECT', role: 'primary', index: 1, cause: 'fragLoadError', scope: 'endpoint' });
      expect(h.warming().map((w) => `${w.input.role}/${w.input.index}`)).to.deep.equal(['primary/0']);
      await send(cdnA, { type: 'SOURCE.SUSPECT', role: 'primary', index: 1, cause: 'playlist stale', scope: 'stream' });
      expect(
        h.warming().map((w) => `${w.input.role}/${w.input.index}`),
        'the encoder looks dead: the fallback warms',
      ).to.deep.equal(['fallback/0']);
      await send(h.warming()[0]!, { type: 'SOURCE.READY', role: 'fallback', index: 0 });
      await send(cdnA, {
        type: 'SOURCE.FAILED',
        role: 'primary',
        index: 1,
        cause: 'buffer exhausted (playlist stale)',
        scope: 'stream',
      });
      expect(h.view()).to.deep.include({ state: 'fallback', onScreen: at('fallback', 0) });
    });

    it('spreads the start of the next endpoint after a WebRTC endpoint fails (0–failoverSpreadMs), not after a stream failure', async () => {
      const h = harness({ ladders, random: () => 0.5 });
      await h.answer('primary', LIVE, 0);
      const whep = playerOf(h, 'primary', 0);
      await send(whep, { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'no video frames for 1 s', scope: 'endpoint' });
      expect(h.openProbes(), 'nothing starts at once').to.have.length(0);
      expect(h.warming()).to.have.length(0);
      await h.advance(1499);
      expect(h.openProbes()).to.have.length(0);
      await h.advance(1);
      expect(
        h.openProbes().map((p) => p.input.steps[0]!.index),
        'after 0.5 × 3000 ms',
      ).to.deep.equal([1]);

      const h2 = harness({ ladders, random: () => 0.5 });
      await h2.answer('primary', LIVE, 0);
      await send(playerOf(h2, 'primary', 0), {
        type: 'SOURCE.FAILED',
        role: 'primary',
        index: 0,
        cause: 'the server says the publisher is inactive',
        scope: 'stream',
      });
      expect(
        h2.warming().map((w) => w.input.role),
        'a stream failure moves at once',
      ).to.deep.equal(['fallback']);
    });

    it('does not spread a move to the other stream, even after a WebRTC endpoint failure', async () => {
      const h = harness({ ladders: { primary: [WHEP_A], fallback: [BACKUP_HLS] }, random: () => 0.5 });
      await h.answer('primary', LIVE);
      await send(playerOf(h, 'primary', 0), { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'no video frames for 1 s' });
      expect(h.openProbes().map((p) => p.input.role)).to.deep.equal(['fallback']);
    });

    it('keeps the spread through a failure that comes while the next endpoint still waits for it', async () => {
      const h = harness({ ladders, random: () => 0.5 });
      await h.answer('primary', LIVE, 0);
      const whep = playerOf(h, 'primary', 0);
      await send(whep, { type: 'SOURCE.SUSPECT', role: 'primary', index: 0, cause: 'video frames stalling' });
      await h.advance(800);
      await send(whep, { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'no video frames for 1 s' });
      expect(h.warming(), 'the failure does not cancel the spread').to.have.length(0);
      expect(h.openProbes()).to.have.length(0);
      await h.advance(1499);
      expect(h.warming()).to.have.length(0);
      await h.advance(1);
      expect(
        h.warming().map((w) => w.input.index),
        'the spread, counted again from the failure',
      ).to.deep.equal([1]);
    });

    it('a WebRTC candidate is not probed: its own session is the probe, its first frame decides', async () => {
      const h = harness({ ladders: { primary: [CDN_A], fallback: [BACKUP_WHEP] } });
      await h.answer('primary', LIVE);
      await send(playerOf(h, 'primary', 0), { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'levelLoadError' });
      expect(h.openProbes(), 'one POST per viewer, not two').to.have.length(0);
      const [warm] = h.warming();
      expect(warm!.input).to.deep.include({ role: 'fallback', index: 0 });
      await send(warm!, { type: 'SOURCE.READY', role: 'fallback', index: 0 });
      expect(h.view()).to.deep.include({ state: 'fallback', onScreen: at('fallback', 0) });
    });

    it('a WebRTC candidate that failed recently needs only its frame; one that fails is passed over', async () => {
      const h = harness({ ladders: { primary: [CDN_A], fallback: [BACKUP_WHEP, BACKUP_HLS] } });
      await h.answer('primary', notLive());
      await h.answer('fallback', LIVE, 0);
      await send(playerOf(h, 'fallback', 0), { type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'x', scope: 'stream' });
      await h.answer('primary', LIVE);
      expect(h.view().state).to.equal('primary');
      await send(playerOf(h, 'primary', 0), { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'y' });
      const [warm] = h.warming();
      expect(warm!.input).to.deep.include({ role: 'fallback', index: 0 });
      await send(warm!, { type: 'SOURCE.FAILED', role: 'fallback', index: 0, cause: 'no picture within 5 s' });
      expect(
        h.openProbes().map((p) => `${p.input.role}/${p.input.steps[0]!.index}`),
        'the next: the fallback HLS, probed',
      ).to.deep.equal(['fallback/1']);
    });

    it('lets a warming endpoint go when no new suspicion comes for the hysteresis window', async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 1);
      const cdnA = playerOf(h, 'primary', 1);
      await send(cdnA, { type: 'SOURCE.SUSPECT', role: 'primary', index: 1, cause: 'fragLoadError' });
      expect(h.warming()).to.have.length(1);
      await h.advance(10_000);
      await send(cdnA, { type: 'SOURCE.SUSPECT', role: 'primary', index: 1, cause: 'fragLoadError' });
      await h.advance(10_000);
      expect(h.warming(), 'a second suspicion started the window over').to.have.length(1);
      await h.advance(5_000);
      expect(h.warming(), 'a hiccup does not keep a second stream running for good').to.have.length(0);
      expect(h.snap().matches({ primary: { health: { steady: 'calm' } } })).to.equal(true);
    });

    it('spreads the warm start on a WebRTC suspicion too, and an HLS endpoint not at all', async () => {
      const h = harness({ ladders, random: () => 0.5 });
      await h.answer('primary', LIVE, 0);
      await send(playerOf(h, 'primary', 0), { type: 'SOURCE.SUSPECT', role: 'primary', index: 0, cause: 'video frames stalling' });
      expect(h.warming()).to.have.length(0);
      await h.advance(1500);
      expect(h.warming().map((w) => w.input.index)).to.deep.equal([1]);

      const h2 = harness({ ladders, random: () => 0.5 });
      await h2.answer('primary', LIVE, 1);
      await send(playerOf(h2, 'primary', 1), { type: 'SOURCE.SUSPECT', role: 'primary', index: 1, cause: 'fragLoadError' });
      expect(
        h2.warming().map((w) => w.input.index),
        'HLS: at once',
      ).to.deep.equal([0]);
    });

    it('a path failure (ICE never connected) leaves the endpoint alone for at least the hysteresis window', async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 0);
      await send(playerOf(h, 'primary', 0), {
        type: 'SOURCE.FAILED',
        role: 'primary',
        index: 0,
        cause: 'no picture within 5 s (ICE/DTLS never connected)',
        scope: 'path',
      });
      await h.answer('primary', LIVE);
      expect(onScreen(h)).to.deep.equal(at('primary', 1));
      expect(h.snap().context.benched['primary/0']).to.equal(true);

      // CDN A fails 10 s later: WHEP A is not tried again yet, CDN B is.
      await h.advance(10_000);
      await send(playerOf(h, 'primary', 1), { type: 'SOURCE.FAILED', role: 'primary', index: 1, cause: 'levelLoadError' });
      expect(h.openProbes().map((p) => `${p.input.role}/${p.input.steps[0]!.index}`)).to.deep.equal(['primary/2']);
      await h.answer('primary', LIVE);
      await h.advance(5_000);
      expect(h.snap().context.benched['primary/0'], 'free again after the window').to.equal(false);
    });

    it('prefer-primary returns from a later endpoint to the first once it stays live for the window (state stays primary)', async () => {
      const h = harness({ ladders, preferPrimary: true });
      await h.answer('primary', LIVE, 1);
      const watcher = h.watchers.find((w) => !w.stopped)!;
      expect(watcher.input.steps, 'the endpoints before the one on screen').to.deep.equal([
        { role: 'primary', index: 0, source: WHEP_A },
      ]);
      await send(watcher, { type: 'SOURCE.LIVE', role: 'primary', index: 0 });
      await send(h.warming()[0]!, { type: 'SOURCE.READY', role: 'primary', index: 0 });
      await h.advance(14_999);
      expect(onScreen(h)).to.deep.equal(at('primary', 1));
      await h.advance(1);
      expect(h.view()).to.deep.include({ state: 'primary', reason: Reasons.PRIMARY_RECOVERED, onScreen: at('primary', 0) });
    });

    it('without prefer-primary, the player stays on the endpoint that works and watches nothing', async () => {
      const h = harness({ ladders });
      await h.answer('primary', LIVE, 1);
      expect(h.watchers.filter((w) => !w.stopped).map((w) => w.input.steps)).to.deep.equal([[]]);
    });

    it('while the fallback plays, every primary endpoint is watched, and a stop on any of them ends everything', async () => {
      const h = harness({ ladders });
      await h.answer('primary', notLive('WHEP POST: HTTP 404; playlist HTTP 404'));
      await h.answer('fallback', LIVE, 0);
      const watcher = h.watchers.find((w) => !w.stopped)!;
      expect(watcher.input.steps.map((step) => step.index)).to.deep.equal([0, 1, 2]);
      await send(watcher, { type: 'SOURCE.STOPPED', role: 'primary', index: 1, cause: 'playlist has #EXT-X-ENDLIST' });
      expect(h.view()).to.deep.include({ state: 'stopped', reason: Reasons.PRIMARY_STOPPED });
    });

    it('a stopped fallback endpoint counts as the fallback stream failing', async () => {
      const h = harness({ ladders });
      await h.answer('primary', notLive());
      await h.answer('fallback', LIVE, 1);
      await send(playerOf(h, 'fallback', 1), {
        type: 'SOURCE.STOPPED',
        role: 'fallback',
        index: 1,
        cause: 'playlist has #EXT-X-ENDLIST',
      });
      expect(h.view().state).to.equal('fallback');
      expect(
        h.warming().map((w) => `${w.input.role}/${w.input.index}`),
        'to the primary, not to the fallback WHEP',
      ).to.deep.equal(['primary/0']);
    });

    it('a warm standby keeps the next endpoint in line warm: the same stream first', async () => {
      const h = harness({ ladders, standby: 'warm' });
      await h.answer('primary', LIVE, 0);
      expect(h.warming().map((w) => `${w.input.role}/${w.input.index}`)).to.deep.equal(['primary/1']);
      await send(h.warming()[0]!, { type: 'SOURCE.READY', role: 'primary', index: 1 });
      await send(playerOf(h, 'primary', 0), { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'x' });
      expect(onScreen(h), 'switched at once to the warm endpoint').to.deep.equal(at('primary', 1));
    });

    it('a warm standby also keeps the next endpoint warm while the fallback plays, but never one that just failed', async () => {
      const h = harness({ standby: 'warm' });
      await h.answer('primary', notLive());
      await h.answer('fallback', LIVE);
      expect(
        h.warming().map((w) => `${w.input.role}/${w.input.index}`),
        'the primary, never failed',
      ).to.deep.equal(['primary/0']);

      const h2 = harness({ standby: 'warm' });
      await toPrimary(h2);
      await send(h2.warming()[0]!, { type: 'SOURCE.READY', role: 'fallback', index: 0 });
      await send(h2.player('primary'), { type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'x' });
      expect(h2.view().state).to.equal('fallback');
      expect(h2.warming(), 'the primary that just failed is not warmed again').to.have.length(0);
    });

    it('a stop of any primary endpoint in the prelive probe ends everything', async () => {
      const h = harness({ ladders });
      await h.answer('primary', STOPPED, 2);
      expect(h.view().state).to.equal('stopped');
    });
  });

  describe("the viewer's network", () => {
    const sendTo = async (h: Harness, event: { type: 'VIEWER.OFFLINE' } | { type: 'VIEWER.ONLINE' }) => {
      h.actor.send(event);
      await flush();
    };
    const NETWORK_DOWN: ProbeVerdict = { status: 'not-live', cause: 'playlist unreachable', network: true };

    it('offline: holds the state and the picture, marks nothing failed; online: the same endpoint again, at once', async () => {
      const h = harness();
      await toPrimary(h);
      const first = h.player('primary');
      first.send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      await sendTo(h, { type: 'VIEWER.OFFLINE' });
      expect(h.view()).to.deep.include({ state: 'primary', offline: true, playing: true });
      first.send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'levelLoadError', network: true });
      await flush();
      expect(h.openProbes(), 'no failover while offline').to.have.length(0);
      expect(h.snap().context.failedRecently['primary/0']).to.not.equal(true);
      expect(first.stopped, 'the last picture stays').to.equal(false);

      await sendTo(h, { type: 'VIEWER.ONLINE' });
      await h.advance(0);
      expect(first.stopped).to.equal(true);
      const again = h.player('primary');
      expect(again).to.not.equal(first);
      expect(h.view()).to.deep.include({ state: 'primary', offline: false });
      expect(h.openProbes()).to.have.length(0);
    });

    it('offline while warming or failing over: the hold wins, nothing is marked failed', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'x' });
      await flush();
      expect(h.openProbes()).to.have.length(1);
      await sendTo(h, { type: 'VIEWER.OFFLINE' });
      expect(h.openProbes(), 'the failover probe stops').to.have.length(0);
      expect(h.warming()).to.have.length(0);
      expect(h.snap().context.failedRecently['primary/0']).to.equal(false);
      expect(h.view().state).to.equal('primary');
    });

    it('in prelive: no probes while offline; online: a fast round at once', async () => {
      const h = harness();
      await h.answer('primary', notLive());
      await h.answer('fallback', notLive());
      await h.advance(400);
      await h.answer('primary', notLive());
      await h.answer('fallback', notLive());
      await sendTo(h, { type: 'VIEWER.OFFLINE' });
      expect(h.view()).to.deep.include({ state: 'prelive', offline: true });
      await sendTo(h, { type: 'VIEWER.ONLINE' });
      await h.advance(0);
      expect(h.openProbes(), 'probed again at once').to.have.length(2);
      expect(h.snap().context.attempt, 'the backoff starts over').to.equal(0);
    });

    it('when no server answers, the endpoint on screen nor the candidates, it holds instead of failing over', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'fragLoadError', network: true });
      await flush();
      await h.answer('fallback', NETWORK_DOWN);
      expect(h.view()).to.deep.include({ state: 'primary', offline: true });
      expect(h.snap().context.failedRecently).to.deep.equal({ 'primary/0': false, 'fallback/0': false });
      // Nobody said the network is back: retried on the backoff (400 ms with random 0).
      await h.advance(400);
      expect(h.players.filter((p) => !p.stopped && p.input.role === 'primary')).to.have.length(1);
    });

    it('a server that answers (HTTP) anywhere means a real failure: the usual rules', async () => {
      const h = harness();
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'refused', network: true });
      await flush();
      await h.answer('fallback', notLive('playlist HTTP 404'));
      expect(h.view()).to.deep.include({ state: 'prelive', offline: false, reason: Reasons.PRIMARY_FAILED });
    });

    it('a prelive round where no server answers is the viewer offline, not the stream not started', async () => {
      const h = harness();
      await h.answer('primary', NETWORK_DOWN);
      await h.answer('fallback', NETWORK_DOWN);
      expect(h.view()).to.deep.include({ state: 'prelive', offline: true });
      await h.advance(400);
      expect(h.openProbes(), 'still retried on the backoff').to.have.length(2);
      await h.answer('primary', LIVE);
      await flush();
      h.player('primary').send({ type: 'SOURCE.FIRST_FRAME', role: 'primary', index: 0 });
      await flush();
      expect(h.view()).to.deep.include({ state: 'primary', offline: false });
    });

    it('without a fallback, a network-level failure holds too', async () => {
      const h = harness({ fallback: null });
      await toPrimary(h);
      h.player('primary').send({ type: 'SOURCE.FAILED', role: 'primary', index: 0, cause: 'unreachable', network: true });
      await flush();
      expect(h.view()).to.deep.include({ state: 'primary', offline: true });
    });
  });
});
