// watchPlaylist against a fake fetch. Playlists use a 0.1 s target duration, so a healthy
// watcher looks every ~100 ms; backoff uses tiny base/cap values and a fixed random.
import { expect } from '@open-wc/testing';
import { watchPlaylist, type PlaylistWatchCallbacks } from '../../src/sources/playlist-watch.js';
import { resolveThresholds } from '../../src/policy/thresholds.js';
import { installFakeFetch, mediaPlaylist, wait, waitFor, type FakeFetch, type FakeReply } from './sources-fakes.js';

const URL_ = 'https://origin.test/live/index.m3u8';

interface Recorded {
  type: 'live' | 'down' | 'ended';
  cause?: string;
  at: number;
}

function recorder() {
  const events: Recorded[] = [];
  const callbacks: PlaylistWatchCallbacks = {
    onLive: () => events.push({ type: 'live', at: performance.now() }),
    onDown: (cause) => events.push({ type: 'down', cause, at: performance.now() }),
    onEnded: (cause) => events.push({ type: 'ended', cause, at: performance.now() }),
  };
  const count = (type: Recorded['type']) => events.filter((e) => e.type === type).length;
  return { events, callbacks, count };
}

describe('watchPlaylist', () => {
  let fake: FakeFetch | null = null;
  let controller: AbortController;
  let running: Promise<void> | null = null;
  const serve = (handler: (url: string, index: number) => FakeReply) => {
    fake = installFakeFetch(handler);
    return fake;
  };

  beforeEach(() => {
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await running;
    running = null;
    fake?.restore();
    fake = null;
  });

  const start = (
    callbacks: PlaylistWatchCallbacks,
    options: { frozen?: number; backoffBaseMs?: number; backoffCapMs?: number } = {},
  ) => {
    running = watchPlaylist(URL_, callbacks, {
      thresholds: resolveThresholds({ frozenPlaylistTargetDurations: options.frozen ?? 100 }),
      signal: controller.signal,
      random: () => 0,
      backoffBaseMs: options.backoffBaseMs ?? 40,
      backoffCapMs: options.backoffCapMs ?? 160,
    });
    return running;
  };

  it('reports LIVE only when a newer segment appears, not for the first or an unchanged look', async () => {
    // Looks 0 and 1: seq 1; look 2 onwards: seq 2 (then frozen, but the frozen limit is 10 s here).
    const f = serve((_url, i) => mediaPlaylist({ seq: i < 2 ? 1 : 2 }));
    const r = recorder();
    void start(r.callbacks);
    await waitFor(() => f.requests.length >= 2, 'two looks');
    await wait(20);
    expect(r.events, 'nothing after two identical looks').to.deep.equal([]);
    await waitFor(() => f.requests.length >= 5, 'five looks');
    expect(r.count('live')).to.equal(1);
    expect(r.count('down')).to.equal(0);
  });

  it('reports LIVE on every advancing look, at about one target duration apart', async () => {
    const f = serve((_url, i) => mediaPlaylist({ seq: i + 1 }));
    const r = recorder();
    void start(r.callbacks);
    await waitFor(() => f.requests.length >= 4, 'four looks');
    await wait(20);
    expect(r.count('live')).to.be.within(3, 4);
    const gaps = f.requests.slice(1).map((req, i) => req.at - f.requests[i]!.at);
    for (const gap of gaps) expect(gap).to.be.within(95, 300);
  });

  it('reports DOWN on every failed look, backing off exponentially up to the cap', async () => {
    // random 0 → 40 % of the window: 16, 32, 64, 64 ms (base 40, cap 160).
    const f = serve(() => ({ status: 503 }));
    const r = recorder();
    void start(r.callbacks);
    await waitFor(() => f.requests.length >= 5, 'five failed looks');
    await wait(5);
    expect(r.count('down')).to.be.at.least(4);
    expect(r.events.every((e) => e.type === 'down' && e.cause === 'playlist HTTP 503')).to.equal(true);
    const gaps = f.requests.slice(1, 5).map((req, i) => req.at - f.requests[i]!.at);
    const expected = [16, 32, 64, 64];
    gaps.forEach((gap, i) => expect(gap, `gap ${i}`).to.be.within(expected[i]! - 2, expected[i]! + 60));
    expect(gaps[2]! - gaps[0]!, 'the delay grows').to.be.at.least(40);
  });

  it('reports DOWN for an unreachable origin and for a non-playlist answer', async () => {
    const f = serve((_url, i) => (i === 0 ? { networkError: true } : '<html>oops</html>'));
    const r = recorder();
    void start(r.callbacks);
    await waitFor(() => f.requests.length >= 2 && r.events.length >= 2, 'two looks');
    expect(r.events.slice(0, 2).map((e) => e.cause)).to.deep.equal(['playlist unreachable', 'not an HLS playlist']);
  });

  it('honours Retry-After as a floor of the backoff', async () => {
    const f = serve((_url, i) => (i === 0 ? { status: 503, headers: { 'Retry-After': '1' } } : mediaPlaylist({ seq: 1 })));
    const r = recorder();
    void start(r.callbacks);
    await waitFor(() => f.requests.length >= 2, 'the retry', 2500);
    expect(f.requests[1]!.at - f.requests[0]!.at).to.be.at.least(995);
    expect(r.count('down')).to.equal(1);
  });

  it('resets the backoff and needs an advance before LIVE again after recovering', async () => {
    // 3 failures, then healthy and advancing.
    const f = serve((_url, i) => (i < 3 ? { status: 500 } : mediaPlaylist({ seq: i })));
    const r = recorder();
    void start(r.callbacks, { backoffBaseMs: 40, backoffCapMs: 1000 });
    await waitFor(() => r.count('live') >= 1, 'LIVE after recovery');
    expect(r.events.slice(0, 3).map((e) => e.type)).to.deep.equal(['down', 'down', 'down']);
    // The first healthy look (index 3) is not itself LIVE: only the next one, which advanced.
    const firstLive = r.events.find((e) => e.type === 'live')!;
    expect(firstLive.at).to.be.at.least(f.requests[4]!.at);
    await waitFor(() => f.requests.length >= 7, 'more healthy looks');
    // Healthy looks are one target duration apart, not the grown backoff.
    expect(f.requests[6]!.at - f.requests[5]!.at).to.be.within(95, 300);
  });

  it('reports DOWN when the playlist stays frozen past frozenPlaylistTargetDurations', async () => {
    // Target 0.1 s × 3 → frozen after 300 ms.
    const f = serve(() => mediaPlaylist({ seq: 9 }));
    const r = recorder();
    const startedAt = performance.now();
    void start(r.callbacks, { frozen: 3 });
    await waitFor(() => r.count('down') >= 2, 'frozen DOWN, twice');
    const firstDown = r.events.find((e) => e.type === 'down')!;
    expect(firstDown.cause).to.equal('playlist not advancing');
    expect(firstDown.at - startedAt).to.be.within(295, 800);
    expect(r.count('live')).to.equal(0);
    expect(f.requests.length).to.be.at.least(4);
  });

  it('goes from frozen DOWN back to LIVE when the playlist moves again', async () => {
    const f = serve((_url, i) => mediaPlaylist({ seq: i < 6 ? 1 : i }));
    const r = recorder();
    void start(r.callbacks, { frozen: 3 });
    await waitFor(() => r.count('live') >= 1, 'LIVE after the freeze');
    expect(r.events[0]!.type).to.equal('down');
    expect(f.requests.length).to.be.at.least(7);
  });

  // An encoder that restarts with its media sequence reset to 0 (ffmpeg's default), after the
  // origin kept serving the old frozen playlist, must count as live again once it advances
  // (prefer-primary returns to it; the native-HLS engine keeps playing it).
  it('reports LIVE for a restarted encoder whose media sequence was reset', async () => {
    // Looks 0–5: the old playlist, frozen at seq 1000. From look 6: a new stream, 0, 1, 2, …
    const f = serve((_url, i) => mediaPlaylist({ seq: i < 6 ? 1000 : i - 6 }));
    const r = recorder();
    void start(r.callbacks, { frozen: 3 });
    await waitFor(() => f.requests.length >= 6, 'the frozen looks');
    expect(r.count('down'), 'the frozen old playlist is DOWN').to.be.at.least(1);
    await waitFor(() => f.requests.length >= 12, 'six looks at the restarted stream');
    expect(r.count('live'), 'LIVE once the restarted stream advances').to.be.at.least(1);
  });

  it('reports ENDED once on #EXT-X-ENDLIST and stops polling', async () => {
    const f = serve((_url, i) => mediaPlaylist({ seq: i + 1, endList: i >= 2 }));
    const r = recorder();
    await start(r.callbacks); // resolves by itself
    expect(r.events.filter((e) => e.type === 'ended')).to.have.length(1);
    expect(r.events.at(-1)!.type).to.equal('ended');
    expect(r.events.at(-1)!.cause).to.contain('EXT-X-ENDLIST');
    const requests = f.requests.length;
    expect(requests).to.equal(3);
    await wait(300);
    expect(f.requests.length, 'no request after ENDED').to.equal(requests);
    expect(r.count('ended')).to.equal(1);
  });

  it('stops when aborted while waiting between looks: no fetch and no report afterwards', async () => {
    const f = serve((_url, i) => mediaPlaylist({ seq: i + 1 }));
    const r = recorder();
    const done = start(r.callbacks);
    await waitFor(() => f.requests.length >= 2, 'two looks');
    await wait(30);
    controller.abort();
    const requests = f.requests.length;
    const events = r.events.length;
    await done;
    await wait(300);
    expect(f.requests.length).to.equal(requests);
    expect(r.events.length).to.equal(events);
  });

  it('stops when aborted during a request, cancelling it and reporting nothing', async () => {
    const f = serve(() => ({ hang: true }));
    const r = recorder();
    const done = start(r.callbacks);
    await waitFor(() => f.requests.length === 1, 'the request');
    controller.abort();
    await done;
    await wait(200);
    expect(f.requests).to.have.length(1);
    expect(f.requests[0]!.aborted).to.equal(true);
    expect(r.events).to.deep.equal([]);
  });

  it('makes no request when started with an aborted signal', async () => {
    const f = serve(() => mediaPlaylist({ seq: 1 }));
    controller.abort();
    const r = recorder();
    await start(r.callbacks);
    expect(f.requests).to.have.length(0);
    expect(r.events).to.deep.equal([]);
  });
});
