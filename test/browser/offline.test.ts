/**
 * The viewer's own network, cut by the browser's network emulation while both streams stay
 * healthy at the origin: the player holds (state, last picture, an offline notice), marks
 * nothing failed and comes back at once when the network returns. Read from pixels, the
 * state and the `data-offline` attribute.
 */
import { expect } from '@open-wc/testing';
import type { LivePlayer } from '../../src/index.js';
import {
  mountPlayer,
  mountPlaying,
  origin,
  recordFigure,
  recordStates,
  seen,
  setFault,
  setOffline,
  sleep,
  useFreshServers,
  waitForSeen,
  waitForState,
} from './helpers.js';

/** The video on screen's next presented frame, as a promise of its time (performance.now()). */
function nextFrameOnScreen(player: LivePlayer, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    const look = () => {
      const video = player.shadowRoot?.querySelector<HTMLVideoElement>('video[data-visible]');
      if (performance.now() > deadline) return reject(new Error(`no new frame on screen within ${timeoutMs} ms`));
      if (!video) return void setTimeout(look, 20);
      video.requestVideoFrameCallback((now) => resolve(now));
    };
    look();
  });
}

const noticeText = (player: LivePlayer) => player.shadowRoot?.querySelector('[part~="offline"]')?.textContent?.trim() ?? null;
const messageText = (player: LivePlayer) => player.shadowRoot?.querySelector('[part~="message"]')?.textContent?.trim() ?? null;

describe("the viewer's network", function () {
  this.timeout(180000);
  useFreshServers({ cleanUp: () => setOffline(false) });

  for (const offlineMs of [5000, 30000]) {
    it(`${offlineMs / 1000} s offline: no failover, no prelive, the last picture and a notice; the picture is back at once`, async () => {
      const { streams } = await origin();
      const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });
      const failovers: unknown[] = [];
      player.addEventListener('failover', (event) => failovers.push(event.detail));
      const statesBefore = recordStates(player).length;

      await setOffline(true);
      await sleep(500);
      expect(player.hasAttribute('data-offline'), 'data-offline').to.equal(true);
      expect(noticeText(player)).to.equal('Connection lost. Reconnecting…');
      const during: string[] = [];
      const until = performance.now() + offlineMs;
      while (performance.now() < until) {
        during.push(await seen());
        await sleep(500);
      }
      expect([...new Set(during)], 'the last picture stays: no black, no poster').to.deep.equal(['red']);
      expect(recordStates(player).slice(statesBefore), 'no state change').to.deep.equal([]);

      const backAt = performance.now();
      const frame = nextFrameOnScreen(player, 20000);
      await setOffline(false);
      const firstFrameAt = await frame;
      await waitForSeen('red', 10000);
      const pictureBackMs = Math.round(firstFrameAt - backAt);
      expect(player.hasAttribute('data-offline')).to.equal(false);
      expect(player.state).to.equal('primary');
      expect(failovers).to.deep.equal([]);
      expect(recordStates(player).slice(statesBefore)).to.deep.equal([]);
      expect(pictureBackMs, 'picture back within 2 s of the network').to.be.below(2000);
      await recordFigure({ figure: 'offline-picture-back', offlineMs, pictureBackMs });
    });
  }

  it('offline before the stream ever played: the notice, never "not started"', async () => {
    const { streams } = await origin();
    await setOffline(true);
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, muted: true });
    await sleep(3000);
    await player.updateComplete;
    expect(player.state).to.equal('prelive');
    expect(messageText(player)).to.equal('Connection lost. Reconnecting…');
    await setOffline(false);
    await waitForState(player, 'primary', 10000);
    await waitForSeen('red', 10000);
  });

  it('after the stream has played, prelive says it is interrupted, not that it has not started', async () => {
    const { streams } = await origin();
    const player = await mountPlayer({ primary: streams.primary, muted: true });
    await waitForSeen('red', 20000);
    await setFault('primary', '404');
    await waitForState(player, 'prelive', 20000);
    await player.updateComplete;
    expect(messageText(player)).to.equal('The live stream will be back shortly');
    player.setAttribute('primary', `${streams.primary}?other`);
    await waitForState(player, 'prelive', 5000);
    await sleep(2500);
    await player.updateComplete;
    expect(messageText(player), 'new sources: nothing of them has played').to.equal('The live stream has not started yet');
  });
});
