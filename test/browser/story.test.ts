/**
 * The whole failover story in real Chromium against the real local origin, told from pixels:
 * both down → prelive → primary → fallback → primary → prelive → primary → stopped.
 */
import { expect } from '@open-wc/testing';
import {
  expectSteady,
  mountPlayer,
  origin,
  recordStates,
  requestLog,
  setFault,
  sleep,
  until,
  useFreshServers,
  waitForSeen,
  waitForState,
} from './helpers.js';

function messageText(player: Element): string {
  const message = player.shadowRoot?.querySelector('[part~="message"]');
  const slot = message?.querySelector('slot');
  return (slot?.textContent ?? message?.textContent ?? '').trim();
}

function waitForMessage(player: Element, text: string, timeoutMs = 15000) {
  return until(
    () => messageText(player) === text,
    () => `message "${text}" shown; shows "${messageText(player)}"`,
    timeoutMs,
    100,
  );
}

describe('the failover story', function () {
  this.timeout(300000);
  useFreshServers({ servers: 'origin', once: true });

  it('goes prelive → primary → fallback → primary → prelive (interrupted) → primary → stopped, as a viewer sees it', async () => {
    const { streams, posterUrl } = await origin();
    await setFault('primary', '404');
    await setFault('fallback', '404');
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, poster: posterUrl, muted: true });
    const states = recordStates(player);

    // Both down at start: prelive, the poster and the "not started" message.
    await waitForState(player, 'prelive');
    await waitForMessage(player, 'The live stream has not started yet');
    expect(player.getAttribute('data-state')).to.equal('prelive');
    await waitForSeen('poster', 10000);

    // The primary goes live: it is played.
    await setFault('primary', 'none');
    await waitForState(player, 'primary', 30000);
    await waitForSeen('red', 20000);
    await expectSteady('red');

    // The primary's origin dies while the fallback is live: the fallback is played.
    await setFault('fallback', 'none');
    await sleep(2500);
    await setFault('primary', '404');
    await waitForState(player, 'fallback', 30000);
    await waitForSeen('blue', 20000);
    await expectSteady('blue');

    // The primary comes back: the default is sticky, the fallback stays on screen.
    await setFault('primary', 'none');
    await sleep(4000);
    expect(player.state).to.equal('fallback');
    await expectSteady('blue');

    // The fallback dies: back to the primary.
    await setFault('fallback', '404');
    await waitForState(player, 'primary', 30000);
    await waitForSeen('red', 20000);
    await expectSteady('red');

    // Both die: prelive and the poster again; the stream has played, so it is interrupted, not "not started".
    await setFault('primary', '404');
    await setFault('fallback', '404');
    await waitForState(player, 'prelive', 30000);
    await waitForMessage(player, 'The live stream will be back shortly');
    await waitForSeen('poster', 10000);

    // Both come back: the primary is preferred.
    await setFault('fallback', 'none');
    await setFault('primary', 'none');
    await waitForState(player, 'primary', 30000);
    await waitForSeen('red', 20000);
    await expectSteady('red');

    // The primary is deliberately stopped while the fallback is still live: stopped.
    await setFault('primary', 'endlist');
    await waitForState(player, 'stopped', 30000);
    await waitForMessage(player, 'The live stream has ended');
    await waitForSeen('poster', 10000);

    // Stopped means no network at all, to either stream.
    await sleep(1000);
    const quietFrom = Date.now();
    await sleep(5000);
    expect(await requestLog(quietFrom)).to.deep.equal([]);

    expect(states.map((change) => change.state)).to.deep.equal([
      'prelive',
      'primary',
      'fallback',
      'primary',
      'prelive',
      'primary',
      'stopped',
    ]);
    expect(states.map((change) => change.reason)).to.deep.equal([
      'start',
      'primary-live',
      'primary-failed',
      'fallback-failed',
      'primary-failed',
      'primary-live',
      'primary-stopped',
    ]);
  });
});
