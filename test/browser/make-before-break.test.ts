/**
 * Make before break, from pixels: while the primary fails, the viewer keeps seeing it (its
 * buffer, or its last frame) until the fallback's first frame replaces it: never a black or
 * poster frame in between. The `failover` event reports the switch.
 */
import { expect } from '@open-wc/testing';
import type { FailoverDetail, LivePlayer } from '../../src/index.js';
import {
  type FaultKind,
  mountPlayer,
  openWhepSessions,
  origin,
  recordFigure,
  type Seen,
  seen,
  setFault,
  setWhepFault,
  sleep,
  unmountAll,
  waitForNoWhepSessions,
  waitForSeen,
  waitForState,
  whep,
  resetServers,
} from './helpers.js';

function nextFailover(player: LivePlayer): Promise<FailoverDetail> {
  return new Promise((resolve) => player.addEventListener('failover', (event) => resolve(event.detail), { once: true }));
}

/** Samples the screen until `until` is seen; returns every sample on the way. */
async function watchScreenUntil(until: Seen, timeoutMs: number): Promise<Seen[]> {
  const samples: Seen[] = [];
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    const now = await seen();
    samples.push(now);
    if (now === until) return samples;
  }
  throw new Error(`never saw ${until}; saw ${[...new Set(samples)].join(', ')}`);
}

function expectSaneTimeline(detail: FailoverDetail) {
  expect(detail.switchStartedAt, 'the fallback started no later than the decision').to.be.at.most(detail.detectedAt);
  expect(detail.firstFrameAt, 'its first frame came after it started').to.be.greaterThan(detail.switchStartedAt);
  expect(detail.freezeMs).to.be.a('number').and.at.least(0);
}

describe('make before break', function () {
  this.timeout(120000);
  beforeEach(resetServers);
  afterEach(async () => {
    unmountAll();
    await waitForNoWhepSessions(10000);
    await resetServers();
  });

  const faults: FaultKind[] = ['404', 'freeze', 'hang-segments', 'gap'];
  for (const kind of faults) {
    it(`HLS → HLS on ${kind}: the old picture stays until the new one, no black or poster frame`, async () => {
      const { streams, posterUrl } = await origin();
      const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, poster: posterUrl, muted: true });
      await waitForState(player, 'primary', 20000);
      await waitForSeen('red', 20000);
      await sleep(2000);

      const failover = nextFailover(player);
      await setFault('primary', kind);
      const samples = await watchScreenUntil('blue', 40000);
      expect(samples.filter((sample) => sample !== 'red' && sample !== 'blue'), 'nothing but the two streams').to.deep.equal([]);
      expect(samples.length, 'the switch was watched, not jumped over').to.be.greaterThan(3);

      const detail = await failover;
      expect(detail).to.include({ from: 'primary', to: 'fallback', reason: 'primary-failed' });
      expectSaneTimeline(detail);
      await recordFigure({ figure: 'make-before-break-freeze', kind, freezeMs: detail.freezeMs, samples: samples.length });
    });
  }

  it('cold WHEP → WHEP keeps the last frame (never black) until the fallback shows, and reports it', async () => {
    const { streams } = await whep();
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, muted: true });
    await waitForState(player, 'primary', 20000);
    await waitForSeen('red', 20000);
    expect(await openWhepSessions(), 'no standby session in cold mode').to.equal(1);

    const failover = nextFailover(player);
    await setWhepFault('primary', 'publisher-gone');
    const samples = await watchScreenUntil('blue', 20000);
    expect(samples.filter((sample) => sample !== 'red' && sample !== 'blue'), 'no black frame').to.deep.equal([]);
    const detail = await failover;
    expect(detail).to.include({ from: 'primary', to: 'fallback', reason: 'primary-failed' });
    expectSaneTimeline(detail);
    await recordFigure({ figure: 'whep-cold-freeze', freezeMs: detail.freezeMs });
  });

  it('keeps a warm WHEP fallback connected with standby="warm", and switches to it at once', async () => {
    const { streams } = await whep();
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, standby: 'warm', muted: true });
    await waitForState(player, 'primary', 20000);
    await waitForSeen('red', 20000);
    await sleep(1500);
    expect(await openWhepSessions(), 'primary and the warm fallback').to.equal(2);

    const failover = nextFailover(player);
    await setWhepFault('primary', 'publisher-gone', { quiet: 1 });
    const samples = await watchScreenUntil('blue', 20000);
    expect(samples.filter((sample) => sample !== 'red' && sample !== 'blue')).to.deep.equal([]);
    const detail = await failover;
    expect(detail).to.include({ from: 'primary', to: 'fallback' });
    expectSaneTimeline(detail);
    expect(detail.switchStartedAt, 'the fallback was started long before the failure').to.be.lessThan(detail.detectedAt - 1000);
    await recordFigure({ figure: 'whep-warm-standby-freeze', freezeMs: detail.freezeMs });
  });

  it('switches back to the primary the same way when the fallback dies', async () => {
    const { streams } = await origin();
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, muted: true });
    await waitForState(player, 'primary', 20000);
    await setFault('primary', '404');
    await waitForSeen('blue', 30000);
    await setFault('primary', 'none');
    await sleep(2500);

    const failover = nextFailover(player);
    await setFault('fallback', '404');
    const samples = await watchScreenUntil('red', 40000);
    expect(samples.filter((sample) => sample !== 'red' && sample !== 'blue')).to.deep.equal([]);
    const detail = await failover;
    expect(detail).to.include({ from: 'fallback', to: 'primary', reason: 'fallback-failed' });
  });
});
