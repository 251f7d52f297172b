// probeHls against a fake fetch serving scripted playlists. Target durations are 0.1–0.2 s
// (the parser accepts non-integer values), so "1.5 target durations" is a few hundred ms.
import { expect } from '@open-wc/testing';
import { probeHls } from '../../src/sources/hls-probe.js';
import { resolveThresholds } from '../../src/policy/thresholds.js';
import { installFakeFetch, masterPlaylist, mediaPlaylist, type FakeFetch, type FakeReply } from './sources-fakes.js';

const URL_ = 'https://origin.test/live/index.m3u8';
const thresholds = resolveThresholds();

describe('probeHls', () => {
  let fake: FakeFetch | null = null;
  const serve = (handler: (url: string, index: number) => FakeReply) => {
    fake = installFakeFetch(handler);
    return fake;
  };
  afterEach(() => {
    fake?.restore();
    fake = null;
  });

  describe('without confirmAdvance', () => {
    it('finds a live playlist with one request and reports its target duration', async () => {
      const f = serve(() => mediaPlaylist({ seq: 1, targetS: 2 }));
      expect(await probeHls(URL_, { confirmAdvance: false, thresholds })).to.deep.equal({
        status: 'live',
        targetDurationMs: 2000,
      });
      expect(f.urls()).to.deep.equal([URL_]);
    });

    it('reports #EXT-X-ENDLIST as stopped', async () => {
      const f = serve(() => mediaPlaylist({ seq: 1, endList: true }));
      const verdict = await probeHls(URL_, { confirmAdvance: false, thresholds });
      expect(verdict.status).to.equal('stopped');
      expect(verdict.status === 'stopped' && verdict.cause).to.contain('EXT-X-ENDLIST');
      expect(f.requests).to.have.length(1);
    });

    it('reports a 404 as not live, with the status in the cause', async () => {
      serve(() => ({ status: 404 }));
      expect(await probeHls(URL_, { confirmAdvance: false, thresholds })).to.deep.equal({
        status: 'not-live',
        cause: 'playlist HTTP 404',
      });
    });

    it('passes a 503 Retry-After on as retryAfterMs', async () => {
      serve(() => ({ status: 503, headers: { 'Retry-After': '12' } }));
      const verdict = await probeHls(URL_, { confirmAdvance: false, thresholds });
      expect(verdict).to.deep.equal({ status: 'not-live', cause: 'playlist HTTP 503', retryAfterMs: 12000 });
    });

    it('reports an unreachable origin as not live', async () => {
      serve(() => ({ networkError: true }));
      const verdict = await probeHls(URL_, { confirmAdvance: false, thresholds });
      expect(verdict).to.deep.include({ status: 'not-live', cause: 'playlist unreachable' });
    });

    it('reports something that is not a playlist as not live', async () => {
      serve(() => '<html><body>Welcome to nginx!</body></html>');
      expect(await probeHls(URL_, { confirmAdvance: false, thresholds })).to.deep.equal({
        status: 'not-live',
        cause: 'not an HLS playlist',
      });
    });

    it('reports a media playlist without a target duration as not live', async () => {
      serve(() => '#EXTM3U\n#EXTINF:2,\na.ts\n');
      const verdict = await probeHls(URL_, { confirmAdvance: false, thresholds });
      expect(verdict.status).to.equal('not-live');
      expect(verdict.status === 'not-live' && verdict.cause).to.match(/TARGETDURATION/);
    });

    it('follows a master playlist to its first variant, resolved against the master URL', async () => {
      const f = serve((url) =>
        url === URL_ ? masterPlaylist(['low/index.m3u8', 'high/index.m3u8']) : mediaPlaylist({ seq: 5, targetS: 4 }),
      );
      expect(await probeHls(URL_, { confirmAdvance: false, thresholds })).to.deep.equal({
        status: 'live',
        targetDurationMs: 4000,
      });
      expect(f.urls()).to.deep.equal([URL_, 'https://origin.test/live/low/index.m3u8']);
    });

    it('reports the variant failure when the first variant is down', async () => {
      serve((url) => (url === URL_ ? masterPlaylist(['low.m3u8']) : { status: 410 }));
      const verdict = await probeHls(URL_, { confirmAdvance: false, thresholds });
      expect(verdict).to.deep.include({ status: 'not-live', cause: 'playlist HTTP 410' });
    });

    it('does not follow masters forever (master → master)', async () => {
      const f = serve(() => masterPlaylist(['again.m3u8']));
      const verdict = await probeHls(URL_, { confirmAdvance: false, thresholds });
      expect(verdict).to.deep.equal({ status: 'not-live', cause: 'master playlist without a usable variant' });
      expect(f.requests).to.have.length(2);
    });

    it('gives the request the deadline of two assumed target durations', async () => {
      // assumedTargetDurationMs 100 → max(1000 ms floor, 2 × 100) = 1000 ms.
      serve(() => ({ hang: true }));
      const start = performance.now();
      const verdict = await probeHls(URL_, {
        confirmAdvance: false,
        thresholds: resolveThresholds({ assumedTargetDurationMs: 100 }),
      });
      expect(verdict).to.deep.include({ status: 'not-live', cause: 'playlist no answer within 1000 ms' });
      expect(performance.now() - start).to.be.within(950, 1600);
    });
  });

  describe('with confirmAdvance', () => {
    // Target 0.2 s: polls every 100 ms for 300 ms.
    const TARGET_S = 0.2;

    it('is live when the playlist advances on the second look', async () => {
      const f = serve((_url, i) => mediaPlaylist({ seq: i === 0 ? 1 : 2, targetS: TARGET_S }));
      const start = performance.now();
      expect(await probeHls(URL_, { confirmAdvance: true, thresholds })).to.deep.equal({
        status: 'live',
        targetDurationMs: 200,
      });
      expect(f.requests).to.have.length(2);
      // The second look waits half a target duration.
      expect(f.requests[1]!.at - f.requests[0]!.at).to.be.at.least(95);
      expect(performance.now() - start).to.be.below(400);
      expect(f.urls()).to.deep.equal([URL_, URL_]);
    });

    it('is live when the playlist advances on the third look', async () => {
      const f = serve((_url, i) => mediaPlaylist({ seq: i < 2 ? 1 : 2, targetS: TARGET_S }));
      expect((await probeHls(URL_, { confirmAdvance: true, thresholds })).status).to.equal('live');
      expect(f.requests).to.have.length(3);
    });

    it('is live when a segment is appended with the same media sequence', async () => {
      serve((_url, i) => mediaPlaylist({ seq: 1, count: i === 0 ? 3 : 4, targetS: TARGET_S }));
      expect((await probeHls(URL_, { confirmAdvance: true, thresholds })).status).to.equal('live');
    });

    it('is not live when the playlist does not advance within ~1.5 target durations', async () => {
      const f = serve(() => mediaPlaylist({ seq: 7, targetS: TARGET_S }));
      const start = performance.now();
      const verdict = await probeHls(URL_, { confirmAdvance: true, thresholds });
      const elapsed = performance.now() - start;
      expect(verdict).to.deep.equal({ status: 'not-live', cause: 'playlist is not advancing' });
      // 1.5 × 200 ms, plus at most one more poll interval and request.
      expect(elapsed).to.be.within(295, 700);
      expect(f.requests.length).to.be.within(3, 5);
    });

    it('reports ENDLIST that appears while confirming as stopped', async () => {
      serve((_url, i) => mediaPlaylist({ seq: 1, targetS: TARGET_S, endList: i > 0 }));
      expect((await probeHls(URL_, { confirmAdvance: true, thresholds })).status).to.equal('stopped');
    });

    it('reports a failure while confirming as not live', async () => {
      serve((_url, i) => (i === 0 ? mediaPlaylist({ seq: 1, targetS: TARGET_S }) : { status: 502 }));
      expect(await probeHls(URL_, { confirmAdvance: true, thresholds })).to.deep.include({
        status: 'not-live',
        cause: 'playlist HTTP 502',
      });
    });

    it('polls the variant, not the master, while confirming', async () => {
      const VARIANT = 'https://cdn.test/v/low.m3u8';
      const f = serve((url, i) =>
        url === URL_ ? masterPlaylist([VARIANT]) : mediaPlaylist({ seq: i < 2 ? 1 : 2, targetS: TARGET_S }),
      );
      expect((await probeHls(URL_, { confirmAdvance: true, thresholds })).status).to.equal('live');
      expect(f.urls()).to.deep.equal([URL_, VARIANT, VARIANT]);
    });

    it('stops, without another request, when aborted while waiting for the next look', async () => {
      const f = serve(() => mediaPlaylist({ seq: 1, targetS: 1 }));
      const controller = new AbortController();
      const pending = probeHls(URL_, { confirmAdvance: true, thresholds, signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort(new Error('probe cancelled'));
      let caught: unknown;
      const verdict = await pending.catch((error) => {
        caught = error;
        return null;
      });
      expect(verdict, 'an aborted probe does not invent a verdict').to.equal(null);
      expect((caught as Error).message).to.equal('probe cancelled');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(f.requests).to.have.length(1);
    });
  });
});
