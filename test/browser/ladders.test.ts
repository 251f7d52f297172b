/**
 * Ladders against the real servers: each stream published at several endpoints (WebRTC, HLS
 * of the same stream, a second CDN). The viewer's screen is read from pixels (primary red,
 * fallback blue, whatever the endpoint); which endpoint plays is `player.source`; what the
 * player asked of each endpoint comes from the servers' own logs.
 */
import { expect } from '@open-wc/testing';
import type { FailoverDetail, LivePlayer, SourceInfo } from '../../src/index.js';
import {
  mountPlayer,
  origin,
  recordFigure,
  recordStates,
  requestLog,
  screenUntil,
  type Seen,
  seen,
  setFault,
  setWhepFault,
  sleep,
  useFreshServers,
  waitForNoWhepSessions,
  waitForSeen,
  waitForState,
  whep,
  whepLog,
} from './helpers.js';

/** Resolves when the player shows this endpoint (stream and index in its list). */
function waitForSource(player: LivePlayer, stream: SourceInfo['stream'], index: number, timeoutMs = 30000): Promise<void> {
  const matches = () => player.source?.stream === stream && player.source.index === index;
  if (matches()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      player.removeEventListener('sourcechange', onChange);
      reject(new Error(`expected ${stream}#${index} on screen within ${timeoutMs} ms; it is ${JSON.stringify(player.source)}`));
    }, timeoutMs);
    const onChange = () => {
      if (!matches()) return;
      clearTimeout(timer);
      player.removeEventListener('sourcechange', onChange);
      resolve();
    };
    player.addEventListener('sourcechange', onChange);
  });
}

function failovers(player: LivePlayer): FailoverDetail[] {
  const list: FailoverDetail[] = [];
  player.addEventListener('failover', (event) => list.push(event.detail));
  return list;
}

describe('ladders (several endpoints per stream)', function () {
  this.timeout(180000);
  useFreshServers({ whepSessions: 'closed' });

  it('the story: ICE fails → HLS of the primary; it dies → the fallback WebRTC; refused → the fallback HLS; ENDLIST on the primary HLS → stopped', async () => {
    const [{ streams: rtc }, { streams: hls, posterUrl }] = await Promise.all([whep(), origin()]);
    // The viewer's network lets the WHEP POST through but no UDP: ICE never connects.
    await setWhepFault('primary', 'ice-fail');
    const since = Date.now();
    const player = await mountPlayer({
      primary: `${rtc.primary} ${hls.primary}`,
      fallback: `${rtc.fallback} ${hls.fallback}`,
      poster: posterUrl,
      muted: true,
    });
    const switches = failovers(player);

    // 1. The WebRTC endpoint answers but never connects: the primary's HLS plays, state primary all along.
    await waitForSource(player, 'primary', 1, 40000);
    await waitForSeen('red', 20000);
    expect(recordStates(player).map((change) => change.state)).to.deep.equal(['prelive', 'primary']);
    expect(player.source).to.deep.include({ stream: 'primary', index: 1, type: 'hls', url: hls.primary });
    const posts = (await whepLog(since, 'primary')).filter((entry) => entry.method === 'POST');
    expect(
      posts.map((entry) => entry.status),
      'the WebRTC endpoint was tried first and answered',
    ).to.include(201);

    // 2. The primary's HLS dies too: the fallback's WebRTC (the primary's WebRTC, whose path just
    //    failed, is left alone), no black frame on the way.
    await setFault('primary', '404');
    const toBlue = await screenUntil('blue', 40000);
    expect(
      toBlue.filter((sample) => sample === 'black'),
      'no black frame',
    ).to.deep.equal([]);
    await waitForSource(player, 'fallback', 0);
    expect(player.state).to.equal('fallback');
    expect(switches.at(-1)).to.deep.include({ from: 'primary', to: 'fallback' });
    expect(switches.at(-1)!.fromSource).to.deep.include({ stream: 'primary', index: 1 });
    expect(switches.at(-1)!.toSource).to.deep.include({ stream: 'fallback', index: 0, type: 'whep' });

    // 3. The fallback's WebRTC server cuts its viewers and refuses new ones: the fallback's HLS,
    //    the state stays fallback and the screen blue.
    const statesBefore = recordStates(player).length;
    await setWhepFault('fallback', 'cut');
    await setWhepFault('fallback', 'post-503');
    await waitForSource(player, 'fallback', 1, 40000);
    const samples: Seen[] = [];
    for (let i = 0; i < 6; i += 1) samples.push(await seen());
    expect(
      samples.every((sample) => sample === 'blue'),
      samples.join(','),
    ).to.equal(true);
    expect(recordStates(player).slice(statesBefore), 'no state change within the fallback stream').to.deep.equal([]);
    expect(switches.at(-1)!.fromSource).to.deep.include({ stream: 'fallback', index: 0 });
    expect(switches.at(-1)!.toSource).to.deep.include({ stream: 'fallback', index: 1, type: 'hls' });

    // 4. The primary stream is ended on its HLS endpoint while the fallback plays: the end.
    await setFault('primary', 'endlist');
    await waitForState(player, 'stopped', 30000);
    expect(recordStates(player).at(-1)).to.deep.include({ state: 'stopped', reason: 'primary-stopped' });
    await waitForSeen('poster', 10000);
    await waitForNoWhepSessions(10000);
  });

  it('prefer-primary returns from the HLS endpoint to the WebRTC endpoint once it stays healthy, within the primary', async () => {
    const [{ streams: rtc }, { streams: hls }] = await Promise.all([whep(), origin()]);
    await setWhepFault('primary', 'post-503', { retryAfter: 1 });
    const player = await mountPlayer(
      { primary: [rtc.primary, hls.primary].join(' '), 'prefer-primary': true, muted: true },
      {
        thresholds: { preferPrimaryAfterMs: 4000 },
      },
    );
    await waitForSource(player, 'primary', 1, 30000);
    await waitForSeen('red', 20000);
    const fromHls = Date.now();
    await setWhepFault('primary', 'none');
    await waitForSource(player, 'primary', 0, 40000);
    expect(player.state).to.equal('primary');
    expect(recordStates(player).map((change) => change.state)).to.deep.equal(['prelive', 'primary']);
    await waitForSeen('red', 10000);
    // Back through a watcher of the WebRTC endpoint and the (shortened) window, not at once.
    expect(Date.now() - fromHls).to.be.greaterThan(4000);
    expect(recordStates(player).at(-1)?.reason).to.equal('primary-live');
  });
});

describe('ladders: one stream on two CDNs', function () {
  this.timeout(120000);
  useFreshServers();

  it("one CDN's 404 → the other CDN of the same stream: state primary, the picture red all along", async () => {
    const { edges, streams } = await origin();
    const player = await mountPlayer({ primary: `${edges.primary.a} ${edges.primary.b}`, fallback: streams.fallback, muted: true });
    const switches = failovers(player);
    await waitForSource(player, 'primary', 0, 20000);
    await waitForSeen('red', 20000);
    await sleep(2000);

    await setFault('primary', '404', { edge: 'a' });
    const samples: Seen[] = [];
    const start = performance.now();
    while (!(player.source?.index === 1) && performance.now() - start < 20000) samples.push(await seen());
    await waitForSource(player, 'primary', 1, 1000);
    for (let i = 0; i < 4; i += 1) samples.push(await seen());
    expect([...new Set(samples)], 'red all along: no black, no poster, not the fallback').to.deep.equal(['red']);
    expect(recordStates(player).map((change) => change.state)).to.deep.equal(['prelive', 'primary']);
    await sleep(1200);
    const detail = switches.at(-1)!;
    expect(detail).to.deep.include({ from: 'primary', to: 'primary' });
    expect(detail.toSource).to.deep.include({ index: 1, url: edges.primary.b });
    expect(detail.freezeMs, 'make before break: no visible freeze (bench target 100 ms)').to.be.below(1000);
    await recordFigure({ figure: 'ladder-cdn-a-to-b-freeze', freezeMs: detail.freezeMs });
  });

  it('the encoder dies (both CDNs frozen): straight to the fallback stream, no playback tried on the second CDN', async () => {
    const { edges, streams } = await origin();
    const player = await mountPlayer({ primary: `${edges.primary.a} ${edges.primary.b}`, fallback: streams.fallback, muted: true });
    await waitForSource(player, 'primary', 0, 20000);
    await waitForSeen('red', 20000);
    await sleep(1500);

    const faultAt = Date.now();
    await setFault('primary', 'freeze');
    await waitForState(player, 'fallback', 20000);
    const switchedAt = Date.now();
    await waitForSeen('blue', 10000);
    expect(recordStates(player).at(-1)?.cause).to.match(/playlist/);
    const onB = await requestLog(faultAt, 'primary', 'b');
    expect(
      onB.filter((entry) => entry.kind !== 'playlist'),
      'no segment or init request: CDN B was not played',
    ).to.deep.equal([]);
    // CDN B's playlist is only looked at by the watcher of the primary, once the fallback plays.
    expect(
      onB.filter((entry) => entry.t < switchedAt - 1000),
      'not asked before the switch',
    ).to.deep.equal([]);
  });
});

describe('ladders: figures', function () {
  this.timeout(120000);
  useFreshServers({ whepSessions: 'closed' });

  it('WebRTC → HLS of the same stream when the WebRTC server cuts its viewers: freeze recorded', async () => {
    const [{ streams: rtc }, { streams: hls }] = await Promise.all([whep(), origin()]);
    const player = await mountPlayer({ primary: `${rtc.primary} ${hls.primary}`, muted: true });
    const switches = failovers(player);
    await waitForSource(player, 'primary', 0, 30000);
    await waitForSeen('red', 20000);
    await sleep(1500);
    await setWhepFault('primary', 'cut');
    await waitForSource(player, 'primary', 1, 30000);
    await sleep(1500);
    const detail = switches.at(-1)!;
    expect(detail.toSource).to.deep.include({ index: 1, type: 'hls' });
    expect(detail.cause).to.match(/no video frames|connection/);
    await recordFigure({ figure: 'ladder-whep-to-hls-same-stream-freeze', freezeMs: detail.freezeMs });
  });
});
