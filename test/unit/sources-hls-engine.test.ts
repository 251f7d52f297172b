// createHlsEngine(FakeHls)(context) with a real <video>: how hls.js events become SOURCE.*
// events, the frozen-playlist detector, the stale-instance guard and the load policies.
// Time is a FakeClock (the engine's timers are setInterval + performance.now).
import { expect } from '@open-wc/testing';
import type HlsClass from 'hls.js';
import type { EngineEvent } from '../../src/sources/engine.js';
import type { Engine, EngineContext } from '../../src/sources/engine.js';
import { createHlsEngine } from '../../src/sources/hls-engine.js';
import { limitsFor, resolveThresholds, type HealthThresholds } from '../../src/policy/thresholds.js';
import { FakeClock } from './sources-fakes.js';

type Handler = (event: string, data: unknown) => void;

/** Records what the engine asks of hls.js and lets the test emit hls.js events. */
/** The part of hls.js's config the engine sets. */
interface LoadPolicy {
  default: {
    maxTimeToFirstByteMs: number;
    maxLoadTimeMs: number;
    timeoutRetry: { maxNumRetry: number };
    errorRetry: { maxNumRetry: number; retryDelayMs: number; maxRetryDelayMs: number };
  };
}
interface FakeHlsConfig {
  manifestLoadPolicy: LoadPolicy;
  playlistLoadPolicy: LoadPolicy;
  fragLoadPolicy: LoadPolicy;
  [option: string]: unknown;
}

class FakeHls {
  static Events = {
    ERROR: 'hlsError',
    LEVEL_LOADED: 'hlsLevelLoaded',
    LEVEL_UPDATED: 'hlsLevelUpdated',
    MANIFEST_PARSED: 'hlsManifestParsed',
    FRAG_BUFFERED: 'hlsFragBuffered',
  };
  static instances: FakeHls[] = [];

  readonly handlers = new Map<string, Handler[]>();
  readonly calls: string[] = [];
  media: HTMLMediaElement | null = null;
  source: string | null = null;

  constructor(readonly config: FakeHlsConfig) {
    FakeHls.instances.push(this);
  }
  on(event: string, handler: Handler) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
  }
  /** Like hls.js, but keeps calling handlers after destroy(): the engine must guard itself. */
  emit(event: string, data: unknown) {
    for (const handler of this.handlers.get(event) ?? []) handler(event, data);
  }
  loadSource(url: string) {
    this.calls.push('loadSource');
    this.source = url;
  }
  attachMedia(media: HTMLMediaElement) {
    this.calls.push('attachMedia');
    this.media = media;
  }
  stopLoad() {
    this.calls.push('stopLoad');
  }
  destroy() {
    this.calls.push('destroy');
  }
  count(call: string) {
    return this.calls.filter((c) => c === call).length;
  }
}

const SOURCE_URL = 'https://origin.test/live/index.m3u8';
const Events = FakeHls.Events;

/**
 * A fragment as hls.js has it: `gap` from the playlist's #EXT-X-GAP (with the tag in its
 * tagList), or set by hls.js itself on a fragment it could not parse (`parseFailed`: no tag).
 */
const fragment = ({ end, gap = false, parseFailed = false }: { end: number; gap?: boolean; parseFailed?: boolean }) => ({
  end,
  gap: gap || parseFailed,
  tagList: gap ? [['GAP']] : [],
});
const level = (endSN: number, options: { live?: boolean; targetS?: number; fragments?: Parameters<typeof fragment>[0][] } = {}) => ({
  details: {
    live: options.live ?? true,
    endSN,
    targetduration: options.targetS ?? 0.1,
    fragments: (options.fragments ?? []).map(fragment),
  },
});
const fatal = (details: string, code?: number) => ({
  type: 'networkError',
  details,
  fatal: true,
  ...(code === undefined ? {} : { response: { code, text: '' } }),
});
const nonFatal = (details: string) => ({ type: 'mediaError', details, fatal: false });

describe('createHlsEngine', () => {
  let video: HTMLVideoElement;
  let sent: EngineEvent[];
  let engine: Engine | null;
  let hls: FakeHls;
  let clock: FakeClock;

  beforeEach(() => {
    clock = new FakeClock().install();
    FakeHls.instances = [];
    video = document.createElement('video');
    video.muted = true;
    document.body.append(video);
    sent = [];
    engine = null;
  });
  afterEach(() => {
    engine?.destroy();
    video.remove();
    clock.uninstall();
  });

  /** Lets `ms` pass in 100 ms steps, calling `step` (e.g. "hls.js reloaded the playlist") at each one. */
  const run = (ms: number, step?: () => void) => {
    for (let t = 0; t < ms; t += 100) {
      clock.tick(Math.min(100, ms - t));
      step?.();
    }
  };

  /**
   * Starts an engine. Defaults keep the detectors quiet (10 s frozen limit, 60 s startup) so
   * each test only sees what it provokes.
   */
  const start = (overrides: Partial<HealthThresholds> = {}, targetDurationMs = 100) => {
    const thresholds = resolveThresholds({ frozenPlaylistTargetDurations: 100, startupTimeoutMs: 60000, ...overrides });
    const context: EngineContext = {
      video,
      source: { url: SOURCE_URL, kind: 'hls' },
      thresholds,
      limits: limitsFor(thresholds, targetDurationMs),
      send: (event) => sent.push(event),
      onAutoplayMuted: () => {},
    };
    engine = createHlsEngine(FakeHls as unknown as typeof HlsClass)(context);
    expect(FakeHls.instances).to.have.length(1);
    hls = FakeHls.instances[0]!;
    return { context, thresholds };
  };

  it('attaches the video and loads the source', () => {
    start();
    expect(hls.media).to.equal(video);
    expect(hls.source).to.equal(SOURCE_URL);
    expect(hls.calls).to.deep.equal(['attachMedia', 'loadSource']);
    expect(sent).to.deep.equal([]);
  });

  describe('load policies', () => {
    it('derive deadlines and retries from the limits and thresholds', () => {
      // Target 4 s, 1 target duration per request → 4000 ms; fragments get max(4000, 2 × 4000).
      start({ requestTimeoutTargetDurations: 1, requestRetries: 2, retryDelayMs: 150 }, 4000);
      const { manifestLoadPolicy, playlistLoadPolicy, fragLoadPolicy } = hls.config;
      for (const [name, policy, loadMs] of [
        ['manifest', manifestLoadPolicy, 4000],
        ['playlist', playlistLoadPolicy, 4000],
        ['fragment', fragLoadPolicy, 8000],
      ] as const) {
        expect(policy.default.maxTimeToFirstByteMs, `${name} TTFB`).to.equal(4000);
        expect(policy.default.maxLoadTimeMs, `${name} load`).to.equal(loadMs);
        expect(policy.default.timeoutRetry.maxNumRetry, `${name} timeout retries`).to.equal(2);
        expect(policy.default.errorRetry.maxNumRetry, `${name} error retries`).to.equal(2);
        expect(policy.default.errorRetry.retryDelayMs, `${name} retry delay`).to.equal(150);
        expect(policy.default.errorRetry.maxRetryDelayMs, `${name} max retry delay`).to.be.at.least(150);
      }
    });

    it('keep the 1 s request floor for tiny target durations and follow requestRetries: 0', () => {
      start({ requestRetries: 0 }, 200);
      expect(hls.config.playlistLoadPolicy.default.maxTimeToFirstByteMs).to.equal(1000);
      expect(hls.config.playlistLoadPolicy.default.errorRetry.maxNumRetry).to.equal(0);
      expect(hls.config.fragLoadPolicy.default.maxLoadTimeMs).to.equal(1000);
    });
  });

  describe('errors', () => {
    it('reports a fatal error once as FAILED, with the HTTP code in the cause, and stops loading', () => {
      start({}, 100);
      hls.emit(Events.ERROR, fatal('manifestLoadError', 404));
      expect(sent).to.have.length(1);
      expect(sent[0], "an HTTP error is the endpoint's (one CDN)").to.deep.include({ type: 'SOURCE.FAILED', scope: 'endpoint' });
      const cause = (sent[0] as { cause: string }).cause;
      expect(cause).to.contain('HTTP 404');
      expect(cause).to.contain('manifestLoadError');
      expect(hls.count('stopLoad')).to.equal(1);
      expect(hls.count('destroy'), 'keeps the last frame: no destroy until the engine is destroyed').to.equal(0);
    });

    it('reports nothing more after FAILED, whatever hls.js still emits', () => {
      start({ frozenPlaylistTargetDurations: 2 });
      hls.emit(Events.ERROR, fatal('levelLoadError', 503));
      hls.emit(Events.ERROR, fatal('fragLoadError', 404));
      hls.emit(Events.ERROR, nonFatal('bufferStalledError'));
      hls.emit(Events.LEVEL_LOADED, level(1, { live: false }));
      hls.emit(Events.MANIFEST_PARSED, {});
      run(2000); // past the 200 ms frozen limit too
      expect(clock.pending, 'all timers stopped').to.equal(0);
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.FAILED']);
      expect(hls.count('stopLoad')).to.equal(1);
    });

    it('flags a network error that no server answered (offline, refused, CORS), not an HTTP error nor a timeout', () => {
      start();
      hls.emit(Events.ERROR, fatal('levelLoadError'));
      expect(sent).to.deep.equal([{ type: 'SOURCE.FAILED', cause: 'levelLoadError', scope: 'endpoint', network: true }]);
      engine!.destroy();
      FakeHls.instances.length = 0;
      sent.length = 0;
      start();
      hls.emit(Events.ERROR, fatal('levelLoadError', 503));
      expect(sent[0]).to.not.have.property('network');
    });

    it('uses the error details alone when there is no HTTP status', () => {
      start();
      hls.emit(Events.ERROR, fatal('manifestLoadTimeOut'));
      expect(sent).to.deep.equal([{ type: 'SOURCE.FAILED', cause: 'manifestLoadTimeOut', scope: 'endpoint' }]);
    });

    it('reports a non-fatal error as SUSPECT only, and a later fatal one still as FAILED', () => {
      start();
      hls.emit(Events.ERROR, nonFatal('bufferStalledError'));
      hls.emit(Events.ERROR, { ...nonFatal('fragLoadError'), response: { code: 502, text: '' } });
      expect(sent).to.deep.equal([
        { type: 'SOURCE.SUSPECT', cause: 'bufferStalledError', scope: 'endpoint' },
        { type: 'SOURCE.SUSPECT', cause: 'fragLoadError (HTTP 502)', scope: 'endpoint' },
      ]);
      expect(hls.count('stopLoad')).to.equal(0);
      hls.emit(Events.ERROR, fatal('fragLoadError', 502));
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.SUSPECT', 'SOURCE.SUSPECT', 'SOURCE.FAILED']);
    });

    it('before the first frame, fails a suspicion that no fragment clears within the stall limit', () => {
      // Stall limit: max(500 ms, 2 × 0.1 s) = 500 ms; the playlist keeps advancing.
      start({ minStallMs: 500 });
      let sn = 1;
      hls.emit(Events.LEVEL_LOADED, level(sn));
      hls.emit(Events.ERROR, nonFatal('fragLoadTimeOut'));
      run(400, () => hls.emit(Events.LEVEL_LOADED, level((sn += 1))));
      expect(
        sent.map((e) => e.type),
        'not before the limit',
      ).to.deep.equal(['SOURCE.SUSPECT']);
      run(400, () => hls.emit(Events.LEVEL_LOADED, level((sn += 1))));
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.SUSPECT', 'SOURCE.FAILED']);
      expect(sent[1]).to.deep.include({ cause: 'no picture: fragLoadTimeOut' });
      expect(hls.count('stopLoad')).to.equal(1);
    });

    it('before the first frame, a fragment that buffers clears the suspicion', () => {
      start({ minStallMs: 500 });
      let sn = 1;
      hls.emit(Events.LEVEL_LOADED, level(sn));
      hls.emit(Events.ERROR, nonFatal('fragLoadTimeOut'));
      run(200, () => hls.emit(Events.LEVEL_LOADED, level((sn += 1))));
      hls.emit(Events.FRAG_BUFFERED, {});
      run(2000, () => hls.emit(Events.LEVEL_LOADED, level((sn += 1))));
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.SUSPECT']);
    });
  });

  describe('playlists', () => {
    it('reports a playlist that is no longer live (#EXT-X-ENDLIST) as STOPPED, once', () => {
      start();
      hls.emit(Events.LEVEL_LOADED, level(10));
      expect(sent).to.deep.equal([]);
      hls.emit(Events.LEVEL_LOADED, level(11, { live: false }));
      expect(sent).to.have.length(1);
      expect(sent[0]).to.deep.include({ type: 'SOURCE.STOPPED' });
      expect((sent[0] as { cause: string }).cause).to.contain('EXT-X-ENDLIST');
      expect(hls.count('stopLoad')).to.equal(1);
      hls.emit(Events.LEVEL_UPDATED, level(12, { live: false }));
      hls.emit(Events.ERROR, fatal('levelLoadError', 404));
      expect(sent).to.have.length(1);
    });

    it('also reads LEVEL_UPDATED', () => {
      start();
      hls.emit(Events.LEVEL_UPDATED, level(3, { live: false }));
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.STOPPED']);
    });

    it('fails a playlist whose endSN stops advancing past frozenPlaylistMs', () => {
      // 0.1 s target × 3 → 300 ms.
      start({ frozenPlaylistTargetDurations: 3 });
      let sn = 17;
      hls.emit(Events.LEVEL_LOADED, level(sn));
      run(300, () => hls.emit(Events.LEVEL_LOADED, level((sn += 1)))); // advancing: 18, 19, 20 at t = 300
      expect(sent).to.deep.equal([]);
      const frozenAt = performance.now();
      run(290, () => hls.emit(Events.LEVEL_LOADED, level(20)));
      expect(sent, 'not before the limit').to.deep.equal([]);
      run(1000, () => hls.emit(Events.LEVEL_LOADED, level(20)));
      expect(sent).to.have.length(1);
      expect(sent[0], "the playlist still loads: the encoder is dead, the stream's own failure").to.deep.include({
        type: 'SOURCE.FAILED',
        scope: 'stream',
      });
      expect((sent[0] as { cause: string }).cause).to.match(/^playlist not advancing for \d+(\.\d)? s$/);
      expect(hls.count('stopLoad')).to.equal(1);
      expect(frozenAt).to.equal(300);
    });

    it('takes #EXT-X-GAP segments ahead of the playhead as a suspicion of the stream, said again on every update', () => {
      start();
      hls.emit(Events.LEVEL_LOADED, level(1, { fragments: [{ end: 1 }, { end: 2 }] }));
      expect(sent).to.deep.equal([]);
      hls.emit(Events.LEVEL_UPDATED, level(2, { fragments: [{ end: 2 }, { end: 3, gap: true }] }));
      hls.emit(Events.FRAG_BUFFERED, {});
      hls.emit(
        Events.LEVEL_UPDATED,
        level(3, {
          fragments: [
            { end: 3, gap: true },
            { end: 4, gap: true },
          ],
        }),
      );
      expect(sent).to.deep.equal([
        { type: 'SOURCE.SUSPECT', cause: '#EXT-X-GAP segments ahead', scope: 'stream' },
        { type: 'SOURCE.SUSPECT', cause: '#EXT-X-GAP segments ahead', scope: 'stream' },
      ]);
    });

    it("does not take hls.js's own gap marks (a fragment it could not parse: one CDN's corrupt bytes) for #EXT-X-GAP", () => {
      start();
      hls.emit(Events.LEVEL_LOADED, level(1, { fragments: [{ end: 1 }, { end: 2, parseFailed: true }] }));
      hls.emit(Events.LEVEL_UPDATED, level(2, { fragments: [{ end: 2, parseFailed: true }, { end: 3 }] }));
      expect(sent).to.deep.equal([]);
    });

    it('does not fail a playlist that keeps advancing', () => {
      start({ frozenPlaylistTargetDurations: 3 });
      let sn = 1;
      hls.emit(Events.LEVEL_LOADED, level(sn));
      run(5000, () => hls.emit(Events.LEVEL_UPDATED, level((sn += 1))));
      expect(sent).to.deep.equal([]);
    });

    it('rescales the frozen limit from the playlist target duration', () => {
      // Context limits say 0.1 s (300 ms frozen) but the playlist says 1 s → 3 s frozen.
      start({ frozenPlaylistTargetDurations: 3 }, 100);
      hls.emit(Events.LEVEL_LOADED, level(5, { targetS: 1 }));
      run(1900);
      expect(sent, 'nothing before 2 target durations').to.deep.equal([]);
      run(1000);
      expect(sent, 'stale after 2 target durations: a suspicion only; no playlist loads: the endpoint').to.deep.equal([
        { type: 'SOURCE.SUSPECT', cause: 'playlist stale', scope: 'endpoint' },
      ]);
      run(500);
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.SUSPECT', 'SOURCE.FAILED']);
      expect(sent[1]).to.deep.include({ scope: 'endpoint' });
      expect((sent[1] as { cause: string }).cause).to.match(/^no playlist for 3(\.\d)? s$/);
    });

    it("a stale playlist that still loads is a suspicion of the stream's own (the encoder)", () => {
      start({ frozenPlaylistTargetDurations: 3 }, 100);
      hls.emit(Events.LEVEL_LOADED, level(5, { targetS: 1 }));
      run(2300, () => hls.emit(Events.LEVEL_LOADED, level(5, { targetS: 1 })));
      expect(sent).to.deep.equal([{ type: 'SOURCE.SUSPECT', cause: 'playlist stale', scope: 'stream' }]);
    });

    it("a playlist reloaded once without news, then hung on its CDN, is the endpoint's failure, not the stream's", () => {
      start({ frozenPlaylistTargetDurations: 3 }, 100);
      hls.emit(Events.LEVEL_LOADED, level(5, { targetS: 1 }));
      run(1900);
      // Reloaded just before the next segment was published; every request after this one hangs.
      hls.emit(Events.LEVEL_LOADED, level(5, { targetS: 1 }));
      run(1000);
      expect(sent).to.deep.equal([{ type: 'SOURCE.SUSPECT', cause: 'playlist stale', scope: 'endpoint' }]);
      run(500);
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.SUSPECT', 'SOURCE.FAILED']);
      expect(sent[1], 'one load 1.1 s before the limit is no proof the playlist still loads').to.deep.include({ scope: 'endpoint' });
    });

    it('does not count a lower endSN (e.g. another variant) as progress', () => {
      start({ frozenPlaylistTargetDurations: 3 });
      hls.emit(Events.LEVEL_LOADED, level(50));
      let sn = 40;
      run(600, () => hls.emit(Events.LEVEL_LOADED, level((sn += 1))));
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.SUSPECT', 'SOURCE.FAILED']);
    });
  });

  describe('playback', () => {
    it('reports the first frame, then a stall as FAILED (watchdog wired to the video)', () => {
      start({ minStallMs: 300, stallTargetDurations: 1 });
      let frames = 1;
      Object.defineProperty(video, 'paused', { configurable: true, get: () => false });
      Object.defineProperty(video, 'readyState', { configurable: true, get: () => 4 });
      Object.defineProperty(video, 'videoWidth', { configurable: true, get: () => 640 });
      Object.defineProperty(video, 'getVideoPlaybackQuality', {
        configurable: true,
        value: () => ({ totalVideoFrames: frames }),
      });
      video.dispatchEvent(new Event('playing'));
      expect(sent).to.deep.equal([{ type: 'SOURCE.FIRST_FRAME' }]);
      run(1000, () => (frames += 1));
      expect(sent, 'no stall while frames are decoded').to.have.length(1);
      run(1000);
      // Half the stall limit without a frame is a suspicion; then the empty buffer fails it.
      expect(sent.map((e) => e.type)).to.deep.equal(['SOURCE.FIRST_FRAME', 'SOURCE.SUSPECT', 'SOURCE.FAILED']);
      expect(sent[1]).to.deep.include({ type: 'SOURCE.SUSPECT', cause: 'playback stalling' });
      expect(sent[2]).to.deep.include({ type: 'SOURCE.FAILED', scope: 'endpoint' });
      // Nothing is buffered ahead in this video: a suspected stall with an empty buffer fails
      // at once, before the stall limit (the switch happens before a long freeze).
      expect((sent[2] as { cause: string }).cause).to.equal('buffer exhausted (playback stalling)');
      expect(hls.count('stopLoad')).to.equal(1);
    });

    it('starts playback on MANIFEST_PARSED', () => {
      let plays = 0;
      Object.defineProperty(video, 'play', { configurable: true, value: () => ((plays += 1), Promise.resolve()) });
      start();
      expect(plays).to.equal(0);
      hls.emit(Events.MANIFEST_PARSED, {});
      expect(plays).to.equal(1);
    });
  });

  describe('destroy', () => {
    it('destroys hls.js once, releases the video, and is idempotent', () => {
      video.src = 'about:blank#stale';
      start();
      engine!.destroy();
      expect(hls.count('destroy')).to.equal(1);
      expect(video.hasAttribute('src')).to.equal(false);
      engine!.destroy();
      expect(hls.count('destroy')).to.equal(1);
      engine = null;
    });

    it('sends nothing after destroy, even when the old hls.js instance keeps emitting', () => {
      let plays = 0;
      Object.defineProperty(video, 'play', { configurable: true, value: () => ((plays += 1), Promise.resolve()) });
      start({ frozenPlaylistTargetDurations: 2 });
      hls.emit(Events.LEVEL_LOADED, level(1));
      engine!.destroy();
      engine = null;
      hls.emit(Events.ERROR, fatal('levelLoadError', 404));
      hls.emit(Events.ERROR, nonFatal('bufferStalledError'));
      hls.emit(Events.LEVEL_LOADED, level(2, { live: false }));
      hls.emit(Events.MANIFEST_PARSED, {});
      video.dispatchEvent(new Event('playing'));
      expect(clock.pending, 'no timer left').to.equal(0);
      run(2000); // past the 200 ms frozen limit
      expect(sent).to.deep.equal([]);
      expect(plays).to.equal(0);
      expect(hls.count('stopLoad')).to.equal(0);
    });

    it('can be destroyed after a failure', () => {
      start();
      hls.emit(Events.ERROR, fatal('manifestLoadError', 500));
      engine!.destroy();
      engine = null;
      expect(hls.count('destroy')).to.equal(1);
      expect(sent).to.have.length(1);
    });
  });
});
