/** Sticky fallback by default; `prefer-primary` returns after the hysteresis window. */
import { expect } from '@open-wc/testing';
import type { LivePlayer } from '../../src/live-player.js';
import {
  expectSteady,
  mountPlayer,
  origin,
  recordStates,
  setFault,
  sleep,
  useFreshServers,
  waitForSeen,
  waitForState,
} from './helpers.js';

async function failOverThenReviveAfter(player: LivePlayer) {
  await waitForState(player, 'primary', 20000);
  await waitForSeen('red', 20000);
  await setFault('primary', '404');
  await waitForState(player, 'fallback', 30000);
  await waitForSeen('blue', 20000);
  await setFault('primary', 'none');
  return performance.now();
}

describe('returning to the primary', function () {
  this.timeout(120000);
  useFreshServers({ servers: 'origin' });

  it('stays on a healthy fallback by default', async () => {
    const { streams } = await origin();
    const player = await mountPlayer(
      { primary: streams.primary, fallback: streams.fallback, muted: true },
      { thresholds: { preferPrimaryAfterMs: 3000 } },
    );
    await failOverThenReviveAfter(player);
    await sleep(10000);
    expect(player.state).to.equal('fallback');
    await expectSteady('blue');
  });

  it('with prefer-primary, returns once the primary has been healthy for the window', async () => {
    const { streams } = await origin();
    const player = await mountPlayer(
      { primary: streams.primary, fallback: streams.fallback, muted: true, 'prefer-primary': true },
      { thresholds: { preferPrimaryAfterMs: 3000 } },
    );
    const states = recordStates(player);
    const revivedAt = await failOverThenReviveAfter(player);
    await waitForState(player, 'primary', 30000);
    const returnedAfterMs = performance.now() - revivedAt;
    expect(returnedAfterMs, 'not before the hysteresis window').to.be.greaterThan(3000);
    await waitForSeen('red', 20000);
    await expectSteady('red');
    expect(states.at(-1)?.reason).to.equal('primary-recovered');
  });
});
