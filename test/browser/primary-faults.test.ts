/**
 * Each kind of primary fault ends on the fallback, in real Chromium against the real origin.
 * The time from the fault to the first fallback frame on screen is recorded as a figure.
 */
import { expect } from '@open-wc/testing';
import {
  expectSteady,
  type FaultKind,
  mountPlaying,
  origin,
  recordFigure,
  recordStates,
  setFault,
  sleep,
  useFreshServers,
  waitForSeen,
} from './helpers.js';

const FAULTS: FaultKind[] = ['404', '503', 'refuse', 'hang', 'hang-segments', 'freeze'];

describe('a failing primary', function () {
  this.timeout(120000);
  useFreshServers({ servers: 'origin' });

  for (const kind of FAULTS) {
    it(`fails over to the fallback on ${kind}`, async () => {
      const { streams } = await origin();
      const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });
      const states = recordStates(player);
      await sleep(2000); // a steady buffer, as in real playback

      const faultAt = performance.now();
      await setFault('primary', kind);
      await waitForSeen('blue', 60000);
      const faultToFallbackFrameMs = Math.round(performance.now() - faultAt);
      expect(player.state).to.equal('fallback');
      await expectSteady('blue');

      const failover = states.find((change) => change.state === 'fallback');
      expect(failover?.reason).to.equal('primary-failed');
      expect(failover?.cause, 'the failure is explained').to.be.a('string').and.not.empty;
      await recordFigure({
        figure: 'primary-fault-to-fallback-frame',
        kind,
        ms: faultToFallbackFrameMs,
        detectedMs: Math.round((failover?.at ?? 0) - faultAt),
        cause: failover?.cause,
      });
    });
  }
});
