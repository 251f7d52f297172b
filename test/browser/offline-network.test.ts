/**
 * When no server answers at all (connections to both streams refused: what a viewer whose
 * network is gone sees, where the browser does not say it is offline), the player holds: no
 * failover, no prelive, the last picture and the offline notice; it looks again on the backoff
 * and plays on when the servers answer again. Runs in every engine (the browser's own offline
 * emulation, navigator.onLine included, is Chromium's: offline.test.ts).
 */
import { expect } from '@open-wc/testing';
import type { LivePlayer } from '../../src/index.js';
import { mountPlaying, origin, recordStates, screenUntil, seen, setFault, sleep, until, useFreshServers } from './helpers.js';

const notice = (player: LivePlayer) => player.shadowRoot?.querySelector('[part~="offline"]')?.textContent?.trim() ?? null;

describe('no server answers (the network as the page sees it)', function () {
  this.timeout(120000);
  useFreshServers();

  it('holds the state and the last picture with a notice, and plays on when the servers answer again', async () => {
    const { streams } = await origin();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });
    await sleep(1500);
    const before = recordStates(player).length;

    await Promise.all([setFault('primary', 'refuse'), setFault('fallback', 'refuse')]);
    await until(() => player.hasAttribute('data-offline'), 'data-offline', 20000);
    await player.updateComplete;
    expect(notice(player)).to.equal('Connection lost. Reconnecting…');
    const during: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      during.push(await seen());
      await sleep(500);
    }
    expect([...new Set(during)], 'the last picture stays').to.deep.equal(['red']);
    expect(player.state).to.equal('primary');

    const backAt = performance.now();
    await Promise.all([setFault('primary', 'none'), setFault('fallback', 'none')]);
    await until(() => !player.hasAttribute('data-offline'), 'the hold ends', 40000);
    const samples = await screenUntil('red', 10000);
    expect(
      samples.filter((sample) => sample !== 'red'),
      'no black, no poster on the way back',
    ).to.deep.equal([]);
    expect(recordStates(player).slice(before), 'no state change at all').to.deep.equal([]);
    expect(performance.now() - backAt, 'back on the backoff (its first steps are short)').to.be.below(40000);
  });
});
