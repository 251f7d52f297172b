/**
 * Make before break with HLS, from pixels: while the primary fails, the viewer keeps seeing its
 * buffer until the fallback's first frame replaces it: never a black or poster frame in between.
 * The `failover` event reports the switch. (WebRTC: make-before-break-whep.test.ts.)
 */
import { expect } from '@open-wc/testing';
import {
  expectSaneTimeline,
  type FaultKind,
  mountPlayer,
  mountPlaying,
  nextFailover,
  origin,
  recordFigure,
  screenUntil,
  setFault,
  sleep,
  useFreshServers,
  waitForSeen,
  waitForState,
} from './helpers.js';

describe('make before break', function () {
  this.timeout(120000);
  useFreshServers();

  const faults: FaultKind[] = ['404', 'freeze', 'hang-segments', 'gap'];
  for (const kind of faults) {
    it(`HLS → HLS on ${kind}: the old picture stays until the new one, no black or poster frame`, async () => {
      const { streams, posterUrl } = await origin();
      const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback, poster: posterUrl });
      await sleep(2000);

      const failover = nextFailover(player);
      await setFault('primary', kind);
      const samples = await screenUntil('blue', 40000);
      expect(
        samples.filter((sample) => sample !== 'red' && sample !== 'blue'),
        'nothing but the two streams',
      ).to.deep.equal([]);
      expect(samples.length, 'the switch was watched, not jumped over').to.be.greaterThan(3);

      const detail = await failover;
      expect(detail).to.include({ from: 'primary', to: 'fallback', reason: 'primary-failed' });
      expectSaneTimeline(detail);
      await recordFigure({ figure: 'make-before-break-freeze', kind, freezeMs: detail.freezeMs, samples: samples.length });
    });
  }

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
    const samples = await screenUntil('red', 40000);
    expect(samples.filter((sample) => sample !== 'red' && sample !== 'blue')).to.deep.equal([]);
    const detail = await failover;
    expect(detail).to.include({ from: 'fallback', to: 'primary', reason: 'fallback-failed' });
  });
});
