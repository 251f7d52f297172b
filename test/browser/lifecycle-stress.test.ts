/**
 * Never stuck, never leaking: the element's lifecycle in the middle of a switch (the primary
 * killed, the fallback starting but not yet on screen) and with ten players on one page.
 * Leaks are proved by the servers' own counts: the HLS origin's request log and the WHEP
 * server's open sessions and request log. No exception may reach the page, anywhere.
 * (lifecycle.test.ts covers the same actions on a player that is simply playing.)
 */
import { expect } from '@open-wc/testing';
import type { LivePlayer } from '../../src/live-player.js';
import {
  mountPlayer,
  mountPlaying,
  openWhepSessions,
  origin,
  poll,
  recordStates,
  recordUncaught,
  requestLog,
  resetWhep,
  setFault,
  setWhepFault,
  sleep,
  type StreamName,
  until,
  useFreshServers,
  waitForNoWhepSessions,
  waitForSeen,
  waitForState,
  waitForWhepSessions,
  whep,
  whepLog,
} from './helpers.js';

const uncaught = recordUncaught();

/** Counts `failover` events (the new source's first frame on screen). */
function countFailovers(player: LivePlayer): { count: number } {
  const counter = { count: 0 };
  player.addEventListener('failover', () => (counter.count += 1));
  return counter;
}

/**
 * Resolves as soon as the switch has begun, before the fallback's first frame is on screen:
 * the first request for the fallback after `since` (its probe, or its hidden engine loading).
 */
async function fallbackStarting(since: number, protocol: 'hls' | 'whep', timeoutMs = 10000): Promise<void> {
  const asked = async () => (protocol === 'hls' ? await requestLog(since, 'fallback') : await whepLog(since, 'fallback')).length > 0;
  await until(asked, 'the fallback asked for', timeoutMs, 20);
}

/**
 * Mounts a player on its primary, then `kill`s the primary; resolves mid-switch, on the first
 * request for the fallback (`fallback`: which server it is on), before its first frame.
 * `slowFallback` holds that frame back longer (slowFallbackSegments).
 */
async function killMidSwitch(
  { primary, fallback: fallbackUrl }: { primary: string; fallback: string },
  kill: () => Promise<unknown>,
  fallback: 'hls' | 'whep',
  slowFallback: boolean,
): Promise<{ player: LivePlayer; failovers: { count: number } }> {
  const player = await mountPlaying({ primary, fallback: fallbackUrl });
  const failovers = countFailovers(player);
  if (slowFallback) await slowFallbackSegments();
  const faultAt = Date.now();
  await kill();
  await fallbackStarting(faultAt, fallback);
  return { player, failovers };
}

/**
 * Holds the HLS fallback's first frame back: init and segments answer 1.5 s late (under the
 * 2 s segment timeout), so "mid-switch" lasts about 3 s rather than the ~0.3 s a fast local
 * switch takes, which a test polling the servers could miss.
 */
async function slowFallbackSegments(): Promise<void> {
  await setFault('fallback', 'slow-segments', { ms: 1500 });
}

/** Nothing at all reaches the HLS origin (any stream) for `quietMs`, after a short grace. */
async function expectNoHlsRequests(what: string, streams?: StreamName[], quietMs = 3000): Promise<void> {
  await sleep(500); // requests already in flight at the removal may still land
  const from = Date.now();
  await sleep(quietMs);
  const log = await requestLog(from);
  const relevant = streams ? log.filter((entry) => streams.includes(entry.stream as StreamName)) : log;
  expect(
    relevant.map((entry) => `${entry.stream} ${entry.path}`),
    what,
  ).to.deep.equal([]);
}

/** No WHEP session stays open, and for `quietMs` no new request reaches the WHEP server. */
async function expectNoWhepActivity(what: string, quietMs = 2000): Promise<void> {
  await waitForNoWhepSessions(5000);
  const from = Date.now();
  await sleep(quietMs);
  expect(
    (await whepLog(from)).map((entry) => `${entry.method} ${entry.path}`),
    what,
  ).to.deep.equal([]);
  expect(await openWhepSessions(), what).to.equal(0);
}

function expectNothingThrown(): void {
  expect(uncaught, 'uncaught errors or rejections on the page').to.deep.equal([]);
}

describe('lifecycle under stress', function () {
  this.timeout(120000);
  useFreshServers({
    whepSessions: 'closed',
    cleanUp: () => document.querySelectorAll('[data-test-box]').forEach((box) => box.remove()),
  });

  it('HLS: removed mid-switch, it stops every request; put back, it plays again', async () => {
    const { streams } = await origin();
    const { player, failovers } = await killMidSwitch(streams, () => setFault('primary', '404'), 'hls', true);
    expect(failovers.count, 'still mid-switch: the fallback has shown no frame').to.equal(0);
    player.remove();
    await sleep(0);
    expect(player.state).to.equal('idle');
    await setFault('fallback', 'none');
    await expectNoHlsRequests('no request after removal');
    expect(failovers.count, 'no failover after removal').to.equal(0);

    // Put back with the primary still dead: it starts over and the fallback plays.
    document.body.append(player);
    await waitForState(player, 'fallback', 20000);
    await waitForSeen('blue', 20000);
    expectNothingThrown();
  });

  it('removed from inside its own statechange to `fallback` (before the first frame), it stops', async () => {
    const { streams } = await origin();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });
    const failovers = countFailovers(player);
    let removedIn: string | null = null;
    player.addEventListener('statechange', (event) => {
      if (event.detail.state !== 'primary' && removedIn === null) {
        removedIn = event.detail.state;
        player.remove();
      }
    });
    await setFault('primary', '404');
    await poll(() => removedIn !== null, 15000, 20);
    expect(removedIn).to.equal('fallback');
    expect(failovers.count, 'the fallback had not shown a frame').to.equal(0);
    await sleep(0);
    expect(player.state).to.equal('idle');
    await expectNoHlsRequests('no request after removal');
    expect(failovers.count).to.equal(0);
    expectNothingThrown();
  });

  it('WHEP: removed mid-switch, every session closes; put back, it plays again', async () => {
    const [{ streams: webrtc }, { streams: hls }] = await Promise.all([whep(), origin()]);
    // WHEP primary, WHEP fallback.
    let { player, failovers } = await killMidSwitch(webrtc, () => setWhepFault('primary', 'publisher-gone'), 'whep', false);
    expect(failovers.count, 'still mid-switch').to.equal(0);
    player.remove();
    await expectNoWhepActivity('WHEP → WHEP removed mid-switch');
    expect(failovers.count).to.equal(0);

    document.body.append(player);
    await waitForState(player, 'fallback', 20000);
    await waitForSeen('blue', 20000);
    player.remove();
    await expectNoWhepActivity('WHEP → WHEP removed after re-insertion');

    // WHEP primary, HLS fallback: the HLS side must go quiet too.
    await resetWhep();
    ({ player, failovers } = await killMidSwitch(
      { primary: webrtc.primary, fallback: hls.fallback },
      () => setWhepFault('primary', 'publisher-gone'),
      'hls',
      true,
    ));
    expect(failovers.count, 'still mid-switch').to.equal(0);
    player.remove();
    await Promise.all([expectNoWhepActivity('WHEP → HLS removed mid-switch'), expectNoHlsRequests('WHEP → HLS removed mid-switch')]);
    expectNothingThrown();
  });

  it('moved in the DOM mid-switch, it finishes the switch once, with no restart and no orphan', async () => {
    const { streams } = await origin();
    const { player, failovers } = await killMidSwitch(streams, () => setFault('primary', '404'), 'hls', true);
    expect(failovers.count, 'still mid-switch').to.equal(0);
    const box = document.createElement('div');
    box.dataset.testBox = '';
    document.body.prepend(box);
    box.append(player);
    await setFault('fallback', 'none');

    await waitForState(player, 'fallback', 20000);
    await waitForSeen('blue', 20000);
    await sleep(1000);
    expect(failovers.count, 'one failover').to.equal(1);
    const reasons = recordStates(player).map((change) => `${change.state}:${change.reason}`);
    expect(reasons, 'no restart').to.deep.equal(['prelive:start', 'primary:primary-live', 'fallback:primary-failed']);

    // An engine orphaned by the move would not stop with the element.
    player.remove();
    await expectNoHlsRequests('no request once removed');
    expectNothingThrown();
  });

  it('a new `primary` mid-switch ends on the new source; the old one gets nothing more', async () => {
    const { streams } = await origin();
    const { player } = await killMidSwitch(streams, () => setFault('primary', '404'), 'hls', false);
    player.primary = streams.spare;
    await waitForSeen('green', 20000);
    expect(player.state).to.equal('primary');
    expect(recordStates(player).map((change) => `${change.state}:${change.reason}`)).to.include('prelive:config-changed');
    await expectNoHlsRequests('nothing asked of the old primary', ['primary']);
    expect(player.state).to.equal('primary');
    expectNothingThrown();
  });

  it('a new `fallback` (set inside the switch’s statechange) ends on it; the old one gets nothing more', async () => {
    const { streams } = await origin();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });
    let changed = false;
    player.addEventListener('statechange', (event) => {
      if (event.detail.state === 'fallback' && !changed) {
        changed = true;
        player.setAttribute('fallback', streams.spare);
      }
    });
    await setFault('primary', '404');
    await waitForSeen('green', 20000);
    expect(changed).to.equal(true);
    expect(player.state).to.equal('fallback');
    // The primary stays dead and is watched from the fallback; only the old fallback must be quiet.
    await expectNoHlsRequests('nothing asked of the old fallback', ['fallback']);
    expect(player.state).to.equal('fallback');
    await waitForSeen('green', 5000);
    expectNothingThrown();
  });

  it('ten players on one page (HLS and WHEP) play, fail and leave independently', async () => {
    const [{ streams: webrtc }, { streams: hls }] = await Promise.all([whep(), origin()]);
    const grid = document.createElement('div');
    grid.dataset.testBox = '';
    grid.style.cssText = 'display: flex; flex-wrap: wrap; gap: 4px; width: 800px';
    document.body.prepend(grid);
    // [primary, fallback, what it shows while playing its primary, thresholds]
    const plan: [string, string, 'red' | 'green', Record<string, number>][] = [
      [hls.primary, hls.fallback, 'red', {}],
      [hls.primary, hls.fallback, 'red', { requestRetries: 0 }],
      [hls.primary, webrtc.fallback, 'red', { retryDelayMs: 100 }],
      [hls.primary, hls.fallback, 'red', { startupTimeoutMs: 8000 }],
      [hls.spare, hls.fallback, 'green', {}],
      [hls.spare, webrtc.fallback, 'green', { minStallMs: 2000 }],
      [webrtc.primary, webrtc.fallback, 'red', {}],
      [webrtc.primary, webrtc.fallback, 'red', { frameStallMs: 1500 }],
      [webrtc.primary, hls.fallback, 'red', {}],
      [webrtc.primary, hls.fallback, 'red', { whepStartupTimeoutMs: 8000 }],
    ];
    const players: LivePlayer[] = [];
    for (const [i, [primary, fallback, , thresholds]] of plan.entries()) {
      const player = await mountPlayer({ primary, fallback, muted: true }, { thresholds });
      player.id = `p${i}`;
      player.style.width = '150px';
      grid.append(player);
      players.push(player);
    }
    await Promise.all(players.map((player) => waitForState(player, 'primary', 40000)));
    for (const [i, [, , colour]] of plan.entries()) await waitForSeen(colour, 20000, `#p${i}`);
    const whepPlayers = () => players.filter((player, i) => player.isConnected && plan[i]![0] === webrtc.primary).length;
    // 20 s: a player whose picture stalled on this busy page warms its next endpoint (a WHEP
    // fallback's session) and lets it go after a quiet hysteresis window (15 s).
    await waitForWhepSessions(whepPlayers(), 20000); // one session per WHEP player, no leftover probe

    // Kill the red HLS stream: its four players fail over, the six others do not notice.
    const changesBefore = players.map((player) => recordStates(player).length);
    await setFault('primary', '404');
    await Promise.all(players.slice(0, 4).map((player) => waitForState(player, 'fallback', 30000)));
    for (const i of [0, 1, 2, 3]) await waitForSeen('blue', 20000, `#p${i}`);
    for (const i of [4, 5, 6, 7, 8, 9]) {
      expect(recordStates(players[i]!).length, `p${i} untouched`).to.equal(changesBefore[i]);
      await waitForSeen(plan[i]![2], 5000, `#p${i}`);
    }

    // Remove some: the others play on; the WHEP server counts exactly the ones left.
    for (const i of [1, 4, 6, 8]) players[i]!.remove();
    await sleep(1500);
    for (const i of [0, 2, 3]) {
      expect(players[i]!.state, `p${i}`).to.equal('fallback');
      await waitForSeen('blue', 5000, `#p${i}`);
    }
    for (const i of [5, 7, 9]) {
      expect(players[i]!.state, `p${i}`).to.equal('primary');
      await waitForSeen(plan[i]![2], 5000, `#p${i}`);
    }
    // p2's WHEP fallback is connected too: two WHEP players left (p7, p9) + p2's fallback.
    await waitForWhepSessions(whepPlayers() + 1, 20000);

    // All gone: nothing left open, nothing asked any more.
    for (const player of players) player.remove();
    await Promise.all([expectNoWhepActivity('ten players removed'), expectNoHlsRequests('ten players removed')]);
    expectNothingThrown();
  });

  it('threw nothing anywhere', () => {
    expectNothingThrown();
  });
});
