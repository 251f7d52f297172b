/**
 * A workaround for WebKit on Linux (WebKitGTK, WPE), which plays MSE through GStreamer.
 * Policy: while its pipeline starts, a seek deadlocks the web process's main thread for good
 * (seen with WebKitGTK 2.50 and GStreamer 1.22, about 9 live starts in 10 with hls.js; most
 * likely WPEWebKit issue 1367, "[mse] hang on early seek"), and a seek before any media is
 * appended fails the element. So there, every seek during start-up (hls.js's start position,
 * its gap nudges, its live sync) is held until 1.5 s after the first fragment is buffered,
 * then the last one is made: 0 freezes in 25 live starts, for a first picture 1.5 s later.
 * The held target is moved on by the time it was held (within what is buffered): a live start
 * position 1.5 s stale put the playhead at the tail of a short sliding window, where hls.js's
 * jump back to the live edge (a flushing seek, black for a moment in GStreamer) followed.
 * It narrows a race (no page-visible signal says the pipeline is ready), it does not remove
 * it. Nothing changes elsewhere: Chromium, Firefox and Safari (AVFoundation) seek as usual.
 */
/** WebKit on Linux, where MSE plays through GStreamer. */
export function gstreamerWebKit(): boolean {
  const ua = navigator.userAgent;
  return /AppleWebKit/.test(ua) && /Linux|X11/.test(ua) && !/Chrome|Chromium|Android|Edg\//.test(ua);
}
/** How long after the first fragment is buffered a start-up seek waits on WebKitGTK/WPE. */
export const GSTREAMER_STARTUP_SEEK_DELAY_MS = 1500;

/**
 * Holds every seek (hls.js's start position, gap nudges, live sync) until `delayMs` after
 * `start()`, then performs the last one. While held, reading `currentTime` answers the held
 * target, so hls.js goes on as if it had seeked (it loads from there, not from 0). Returns
 * `start` (call it when the first fragment is buffered) and `dispose` (idempotent).
 */
export function holdStartupSeeks(video: HTMLVideoElement, delayMs: number) {
  const native = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'currentTime');
  let held: number | null = null;
  let heldAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let installed = false;
  const dispose = () => {
    clearTimeout(timer);
    if (installed) delete (video as { currentTime?: number }).currentTime;
    installed = false;
  };
  if (!native?.get || !native.set) return { start: () => {}, dispose };
  const { get, set } = native;
  Object.defineProperty(video, 'currentTime', {
    configurable: true,
    get: () => held ?? get.call(video),
    set: (time: number) => {
      held = time;
      heldAt = performance.now();
    },
  });
  installed = true;
  const release = () => {
    const target = held;
    held = null;
    dispose();
    if (target !== null) set.call(video, caughtUp(target, performance.now() - heldAt, video.buffered));
  };
  return {
    start: () => {
      if (installed && timer === undefined) timer = setTimeout(release, delayMs);
    },
    dispose,
  };
}

/**
 * Where a seek to `target`, held `heldMs`, lands: `target` moved on by the time held, as far as
 * the buffered range holding `target` reaches (a quarter second short of its end), never back.
 */
export function caughtUp(target: number, heldMs: number, buffered: TimeRanges): number {
  for (let i = 0; i < buffered.length; i += 1) {
    if (target < buffered.start(i) || target > buffered.end(i)) continue;
    return Math.max(target, Math.min(target + heldMs / 1000, buffered.end(i) - 0.25));
  }
  return target;
}
