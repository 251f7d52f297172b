/**
 * Make before break with WebRTC (WHEP): a WebRTC session has no buffer, so the failing one
 * keeps its last frame (never black) until the fallback's first frame replaces it, and a warm
 * standby switches at once. In engines with RTCPeerConnection (the WebKitGTK build here has none).
 */
import { expect } from '@open-wc/testing';
import {
  expectSaneTimeline,
  mountPlaying,
  nextFailover,
  openWhepSessions,
  recordFigure,
  screenUntil,
  setWhepFault,
  sleep,
  useFreshServers,
  whep,
} from './helpers.js';

describe('make before break, WebRTC', function () {
  this.timeout(120000);
  useFreshServers({ whepSessions: 'closed' });

  it('cold WHEP → WHEP keeps the last frame (never black) until the fallback shows, and reports it', async () => {
    const { streams } = await whep();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });
    expect(await openWhepSessions(), 'no standby session in cold mode').to.equal(1);

    const failover = nextFailover(player);
    await setWhepFault('primary', 'publisher-gone');
    const samples = await screenUntil('blue', 20000);
    expect(
      samples.filter((sample) => sample !== 'red' && sample !== 'blue'),
      'no black frame',
    ).to.deep.equal([]);
    const detail = await failover;
    expect(detail).to.include({ from: 'primary', to: 'fallback', reason: 'primary-failed' });
    expectSaneTimeline(detail);
    await recordFigure({ figure: 'whep-cold-freeze', freezeMs: detail.freezeMs });
  });

  it('keeps a warm WHEP fallback connected with standby="warm", and switches to it at once', async () => {
    const { streams } = await whep();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback, standby: 'warm' });
    await sleep(1500);
    expect(await openWhepSessions(), 'primary and the warm fallback').to.equal(2);

    const failover = nextFailover(player);
    await setWhepFault('primary', 'publisher-gone', { quiet: 1 });
    const samples = await screenUntil('blue', 20000);
    expect(samples.filter((sample) => sample !== 'red' && sample !== 'blue')).to.deep.equal([]);
    const detail = await failover;
    expect(detail).to.include({ from: 'primary', to: 'fallback' });
    expectSaneTimeline(detail);
    expect(detail.switchStartedAt, 'the fallback was started long before the failure').to.be.lessThan(detail.detectedAt - 1000);
    await recordFigure({ figure: 'whep-warm-standby-freeze', freezeMs: detail.freezeMs });
  });
});
