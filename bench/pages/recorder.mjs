// In-page frame recorder shared by both bench pages: every frame a <video> presents
// (requestVideoFrameCallback) is logged with its presentation time, the video it came from,
// whether that video was the one on screen at that moment, and the colour at its centre
// (drawn 1:1 into a tiny canvas; MSE and WebRTC video do not taint it). Node reads the log
// with snapshot() after the run, so nothing here slows the page with IPC while it plays.
import { classifyPatch } from '/bench/colour.mjs';

/**
 * @typedef {object} FrameRecord
 * @property {number} t        presentationTime (performance.now() ms)
 * @property {string} video    the video's data-role (or 'video' on the baseline page)
 * @property {string} key      the video's data-key, one per endpoint (`primary/0`, `primary/1`, …;
 *                             the data-role where there is none, e.g. 'video' on the baseline page)
 * @property {boolean} visible the video was the one on screen when the frame was presented
 * @property {string} colour   classifyPatch() of the frame's centre
 * @property {number} [rx]     WebRTC only: when the last packet of the frame was received
 *                             (the callback's receiveTime, performance.now() ms)
 * @property {number} [n]      the video's presentedFrames counter at this callback
 */

/** @type {FrameRecord[]} */
export const frames = [];
/** @type {{ t: number, type: string, detail: unknown }[]} */
export const events = [];

const canvas = new OffscreenCanvas(4, 4);
const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
const watched = new WeakSet();

/** @param {HTMLVideoElement} video */
function centreColour(video) {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return 'other';
  try {
    ctx.drawImage(video, (w >> 1) - 2, (h >> 1) - 2, 4, 4, 0, 0, 4, 4);
    return classifyPatch(ctx.getImageData(0, 0, 4, 4).data, 4, 4);
  } catch {
    return 'other';
  }
}

/**
 * Starts logging a video's presented frames (idempotent per element).
 * @param {HTMLVideoElement} video
 * @param {(video: HTMLVideoElement) => boolean} isVisible
 */
export function watchVideo(video, isVisible) {
  if (watched.has(video)) return;
  watched.add(video);
  const role = video.dataset.role ?? 'video';
  const key = video.dataset.key ?? role;
  /** @type {VideoFrameRequestCallback} */
  const onFrame = (now, meta) => {
    /** @type {FrameRecord} */
    const record = { t: meta.presentationTime ?? now, video: role, key, visible: isVisible(video), colour: centreColour(video) };
    if (typeof meta.receiveTime === 'number') record.rx = meta.receiveTime;
    // A busy main thread skips callbacks, not frames: the counter tells a gap in this log
    // from a gap on screen.
    if (typeof meta.presentedFrames === 'number') record.n = meta.presentedFrames;
    frames.push(record);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

/** @param {string} type @param {unknown} [detail] */
export function mark(type, detail = null) {
  events.push({ t: performance.now(), type, detail });
}

/** Everything recorded so far, with the clock origin Node needs to line it up with epoch ms. */
export function snapshot() {
  return { timeOrigin: performance.timeOrigin, now: performance.now(), frames, events };
}

/**
 * @typedef {object} FrameQuery  what a frame on screen must be (every given field must match)
 * @property {string} [colour]
 * @property {string} [key]      the endpoint's video (data-key)
 * @property {string} [notKey]   any video but this one
 */

/** @param {FrameRecord} f @param {FrameQuery} q */
const matches = (f, q) =>
  (q.colour == null || f.colour === q.colour) && (q.key == null || f.key === q.key) && (q.notKey == null || f.key !== q.notKey);

/**
 * The first frame on screen presented at or after `since` (page ms) of a colour, or matching
 * a query (an endpoint's key, a colour, …), as { t, key, colour }, or null.
 * @param {string | FrameQuery} target  a colour, or a query
 * @param {number} since
 */
export function firstVisibleFrame(target, since) {
  const q = typeof target === 'string' ? { colour: target } : target;
  for (const f of frames) if (f.visible && f.t >= since && matches(f, q)) return { t: f.t, key: f.key, colour: f.colour };
  return null;
}

/**
 * The time of the first frame on screen of a colour (or matching a query) presented at or
 * after `since` (page ms), or null.
 * @param {string | FrameQuery} target
 * @param {number} since
 */
export function firstVisible(target, since) {
  return firstVisibleFrame(target, since)?.t ?? null;
}
