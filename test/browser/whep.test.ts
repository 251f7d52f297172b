/**
 * WebRTC (WHEP) sources against the real WHEP server (werift, ffmpeg publishers) and the real
 * HLS origin, in any mix, told from pixels. After each test the server's own count of open
 * sessions must return to zero: every session the player opened, probes included, was closed.
 */
import { expect } from '@open-wc/testing';
import {
  expectSteady,
  mountPlayer,
  mountPlaying,
  origin,
  recordFigure,
  recordStates,
  setFault,
  setWhepFault,
  sleep,
  timeToSee,
  useFreshServers,
  waitForNoWhepSessions,
  waitForSeen,
  waitForState,
  whep,
} from './helpers.js';

describe('WebRTC (WHEP) sources', function () {
  this.timeout(120000);
  useFreshServers({ whepSessions: 'closed' });

  it('WHEP primary → WHEP fallback when the publisher dies, and back when the fallback dies', async () => {
    const { streams } = await whep();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback }, {}, { steady: true });

    const freezeMs = await timeToSee('blue', () => setWhepFault('primary', 'publisher-gone'));
    expect(player.state).to.equal('fallback');
    await expectSteady('blue');
    await recordFigure({ figure: 'whep-to-whep-freeze', ms: freezeMs, cause: recordStates(player).at(-1)?.cause });

    await setWhepFault('primary', 'none');
    await sleep(1000);
    await setWhepFault('fallback', 'publisher-gone');
    await waitForState(player, 'primary', 30000);
    await waitForSeen('red', 20000);
    await expectSteady('red');
  });

  it('notices a dead publisher from decoded frames alone when the server says nothing', async () => {
    const { streams } = await whep();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });

    const freezeMs = await timeToSee('blue', () => setWhepFault('primary', 'publisher-gone', { quiet: 1 }));
    const failover = recordStates(player).find((change) => change.state === 'fallback');
    expect(failover?.cause).to.match(/no video frames/);
    await recordFigure({ figure: 'whep-to-whep-freeze-no-server-event', ms: freezeMs, cause: failover?.cause });
  });

  it('WHEP primary → HLS fallback', async () => {
    const [{ streams: webrtc }, { streams: hls }] = await Promise.all([whep(), origin()]);
    const player = await mountPlaying({ primary: webrtc.primary, fallback: hls.fallback });

    const freezeMs = await timeToSee('blue', () => setWhepFault('primary', 'publisher-gone'));
    expect(player.state).to.equal('fallback');
    await expectSteady('blue');
    await recordFigure({ figure: 'whep-to-hls-freeze', ms: freezeMs, cause: recordStates(player).at(-1)?.cause });
  });

  it('HLS primary → WHEP fallback', async () => {
    const [{ streams: webrtc }, { streams: hls }] = await Promise.all([whep(), origin()]);
    const player = await mountPlaying({ primary: hls.primary, fallback: webrtc.fallback });

    await setFault('primary', '404');
    await waitForState(player, 'fallback', 30000);
    await waitForSeen('blue', 20000);
    await expectSteady('blue');
  });

  it('both WHEP down → prelive → the primary when it comes back', async () => {
    const { streams } = await whep();
    await setWhepFault('primary', 'post-503', { retryAfter: 1 });
    await setWhepFault('fallback', 'post-404');
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, muted: true });
    await waitForState(player, 'prelive', 20000);
    await sleep(2000);
    expect(player.state).to.equal('prelive');

    await setWhepFault('primary', 'none');
    await waitForState(player, 'primary', 30000);
    await waitForSeen('red', 20000);
    await expectSteady('red');
  });

  it('a deliberate stop of the WHEP primary ends in stopped while the fallback is live', async () => {
    const { streams } = await whep();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });

    await setWhepFault('primary', 'stop');
    await waitForState(player, 'stopped', 20000);
    const states = recordStates(player).map((change) => change.state);
    expect(states).to.not.include('fallback');
    expect(recordStates(player).at(-1)?.reason).to.equal('primary-stopped');
    await waitForNoWhepSessions(5000);
  });

  it('with a status endpoint, a stop the WHEP server does not announce still ends in stopped', async () => {
    const { streams, controlUrl } = await whep();
    const player = await mountPlaying({
      primary: streams.primary,
      fallback: streams.fallback,
      'primary-status': `${controlUrl}/status/primary`,
    });

    await setWhepFault('primary', 'stop', { quiet: 1 });
    await waitForState(player, 'stopped', 20000);
    expect(recordStates(player).at(-1)?.reason).to.equal('primary-stopped');
  });

  it('without any stop signal, a stopped WHEP primary only counts as unavailable', async () => {
    const { streams } = await whep();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });

    await setWhepFault('primary', 'stop', { quiet: 1 });
    await waitForState(player, 'fallback', 20000);
    await waitForSeen('blue', 20000);
    await sleep(3000);
    expect(player.state).to.equal('fallback');
  });

  it('a network cut (connection lost) fails over after the disconnected grace', async () => {
    const { streams } = await whep();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });

    await setWhepFault('primary', 'cut');
    await waitForState(player, 'fallback', 30000);
    await waitForSeen('blue', 20000);
    const cause = recordStates(player).find((change) => change.state === 'fallback')?.cause ?? '';
    expect(cause).to.match(/no video frames|connection/);
  });

  it('sends the bearer token set as a property, and never puts it in the DOM', async () => {
    const { streams, controlUrl } = await whep();
    const token = 'secret-token-123';
    await setWhepFault('primary', 'require-token', { token });
    const player = await mountPlaying({ primary: streams.primary }, { primaryToken: token });
    expect(player.outerHTML).to.not.contain(token);
    expect(player.shadowRoot!.innerHTML).to.not.contain(token);
    const log = await (await fetch(`${controlUrl}/log?stream=primary`)).json();
    expect(JSON.stringify(log)).to.not.contain(token);
  });
});
