// watchPlayback with a fake video-like object: first frame, startup timeout, stall, pause,
// dispose. Time is a FakeClock (setInterval + performance.now), so nothing here waits.
import { expect } from '@open-wc/testing';
import { watchPlayback } from '../../src/sources/playback-watchdog.js';
import type { StreamLimits } from '../../src/policy/thresholds.js';
import { FakeClock } from './sources-fakes.js';

/** Just what the watchdog reads from a <video>. */
class FakeVideo extends EventTarget {
  paused = true;
  readyState = 0;
  videoWidth = 0;
  currentTime = 0;
  frames = 0;
  listeners = 0;
  getVideoPlaybackQuality() {
    return { totalVideoFrames: this.frames } as VideoPlaybackQuality;
  }
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>) {
    this.listeners += 1;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>) {
    this.listeners -= 1;
    super.removeEventListener(...args);
  }
  /** Playing with decoded video frames. */
  play(frames = 1) {
    this.paused = false;
    this.readyState = 4; // HAVE_ENOUGH_DATA
    this.videoWidth = 640;
    this.frames = frames;
  }
}

const LIMITS: StreamLimits = {
  targetDurationMs: 100,
  frozenPlaylistMs: 300,
  stallMs: 400,
  requestTimeoutMs: 1000,
  startupTimeoutMs: 500,
};

describe('watchPlayback', () => {
  let clock: FakeClock;
  let video: FakeVideo;
  let dispose: (() => void) | null = null;
  let firstFrames: number[];
  let stalls: { cause: string; at: number }[];

  beforeEach(() => {
    clock = new FakeClock().install();
    video = new FakeVideo();
    firstFrames = [];
    stalls = [];
  });
  afterEach(() => {
    dispose?.();
    dispose = null;
    clock.uninstall();
  });

  const watch = (limits: () => StreamLimits = () => LIMITS) => {
    dispose = watchPlayback({
      video: video as unknown as HTMLVideoElement,
      limits,
      onFirstFrame: () => firstFrames.push(performance.now()),
      onStalled: (cause) => stalls.push({ cause, at: performance.now() }),
    });
  };

  /** Lets `ms` pass in 40 ms steps, calling `step` (e.g. "decode a frame") at each one. */
  const run = (ms: number, step?: () => void) => {
    for (let t = 0; t < ms; t += 40) {
      step?.();
      clock.tick(Math.min(40, ms - t));
    }
  };
  const decode = () => (video.frames += 1);

  it('reports the first frame once decoded frames appear (periodic check)', () => {
    watch();
    run(100);
    expect(firstFrames).to.have.length(0);
    video.play(1);
    run(260);
    expect(firstFrames).to.deep.equal([250]);
    run(2000, decode);
    expect(firstFrames).to.have.length(1);
    expect(stalls).to.have.length(0);
  });

  it('reports the first frame at once on "playing" when frames are there', () => {
    watch();
    video.play(3);
    video.dispatchEvent(new Event('playing'));
    expect(firstFrames).to.have.length(1);
    video.dispatchEvent(new Event('timeupdate'));
    expect(firstFrames, 'only once').to.have.length(1);
  });

  it('does not take "playing" without any decoded data for a first frame', () => {
    watch();
    video.paused = false;
    video.dispatchEvent(new Event('playing'));
    video.dispatchEvent(new Event('timeupdate'));
    run(400);
    expect(firstFrames).to.have.length(0);
  });

  it('does not report a first frame while paused, and times out at startup', () => {
    watch();
    video.play(5);
    video.paused = true;
    video.dispatchEvent(new Event('timeupdate'));
    run(1000, decode);
    expect(firstFrames).to.have.length(0);
    expect(stalls).to.have.length(1);
    expect(stalls[0]!.cause).to.equal('no picture within 0.5 s');
  });

  it('reports the startup timeout once, at the first check past the limit', () => {
    watch();
    video.paused = false; // playback wanted, nothing arrives
    run(499);
    expect(stalls).to.have.length(0);
    run(300);
    expect(stalls).to.have.length(1);
    expect(stalls[0]!.at).to.equal(750); // checks at 250, 500 (not > 500), 750
    expect(stalls[0]!.cause).to.equal('no picture within 0.5 s');
    // Finished: nothing more, not even a late first frame.
    video.play(10);
    video.dispatchEvent(new Event('playing'));
    run(2000, decode);
    expect(stalls).to.have.length(1);
    expect(firstFrames).to.have.length(0);
  });

  it('reads the limits live (a longer startup timeout set later applies)', () => {
    let limits = { ...LIMITS, startupTimeoutMs: 300 };
    watch(() => limits);
    limits = { ...LIMITS, startupTimeoutMs: 5000 };
    run(4900);
    expect(stalls).to.have.length(0);
    run(400);
    expect(stalls.map((s) => s.cause)).to.deep.equal(['no picture within 5 s']);
  });

  it('does not report a stall while frames keep coming', () => {
    watch();
    video.play(1);
    run(300, decode);
    expect(firstFrames).to.have.length(1);
    run(5000, decode);
    expect(stalls).to.have.length(0);
  });

  it('reports a stall when frames stop while playing, once', () => {
    watch();
    video.play(1);
    run(600, decode);
    expect(firstFrames).to.have.length(1);
    const stoppedAt = performance.now();
    run(390);
    expect(stalls, 'not before the 400 ms limit').to.have.length(0);
    run(500);
    expect(stalls).to.have.length(1);
    expect(stalls[0]!.at - stoppedAt).to.be.within(400, 400 + 250);
    expect(stalls[0]!.cause).to.match(/^playback not advancing for \d+(\.\d)? s$/);
    run(3000);
    expect(stalls).to.have.length(1);
  });

  it('counts decoded frames, not the playhead: currentTime moving over a hole is still a stall', () => {
    watch();
    video.play(1);
    video.dispatchEvent(new Event('playing'));
    expect(firstFrames).to.have.length(1);
    run(1000, () => (video.currentTime += 0.04));
    expect(stalls).to.have.length(1);
    expect(stalls[0]!.cause).to.contain('playback not advancing');
  });

  it('falls back to the playhead without video frames (audio only)', () => {
    watch();
    video.paused = false;
    video.readyState = 3; // HAVE_FUTURE_DATA, videoWidth stays 0
    const advance = () => (video.currentTime += 0.04);
    run(300, advance);
    expect(firstFrames).to.have.length(1);
    run(2000, advance);
    expect(stalls, 'advancing audio is not a stall').to.have.length(0);
    run(1000);
    expect(stalls).to.have.length(1);
  });

  it('does not report a stall while paused, and measures a stall from the resume', () => {
    watch();
    video.play(1);
    run(300, decode);
    expect(firstFrames).to.have.length(1);
    video.paused = true;
    run(5000);
    expect(stalls).to.have.length(0);
    video.paused = false; // resumed, but nothing decodes
    const resumedAt = performance.now();
    run(1000);
    expect(stalls).to.have.length(1);
    // The pause refreshed the progress time: the stall is about 400 ms after the last paused check.
    expect(stalls[0]!.at - resumedAt).to.be.within(150, 650);
  });

  it('dispose stops the checks and removes its listeners', () => {
    watch();
    expect(video.listeners).to.be.greaterThan(0);
    expect(clock.pending).to.equal(1);
    dispose!();
    dispose = null;
    expect(video.listeners).to.equal(0);
    expect(clock.pending).to.equal(0);
    video.play(5);
    video.dispatchEvent(new Event('playing'));
    run(2000);
    expect(firstFrames).to.have.length(0);
    expect(stalls).to.have.length(0);
  });

  it('dispose after the first frame prevents the stall report', () => {
    watch();
    video.play(1);
    video.dispatchEvent(new Event('playing'));
    expect(firstFrames).to.have.length(1);
    dispose!();
    dispose = null;
    run(2000);
    expect(stalls).to.have.length(0);
  });
});
