// In-page frame recorder shared by both bench pages: every frame a <video> presents
// (requestVideoFrameCallback) is logged with its presentation time, the video it came from,
// whether that video was the one on screen at that moment, and the colour at its centre
// (drawn 1:1 into a tiny canvas; MSE and WebRTC video do not taint it). Node reads the log
// with snapshot() after the run, so nothing here slows the page with IPC while it plays.
import { classify } from '/bench/colour.mjs';

/**
 * @typedef {object} FrameRecord
 * @property {number} t        presentationTime (performance.now() ms)
 * @property {string} video    the video's data-role (or 'video' on the baseline page)
 * @property {boolean} visible the video was the one on screen when the frame was presented
 * @property {string} colour   classify() of the frame's centre
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
    const d = ctx.getImageData(0, 0, 4, 4).data;
    let r = 0, g = 0, b = 0;
    for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
    return classify(r / 16, g / 16, b / 16);
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
  /** @type {VideoFrameRequestCallback} */
  const onFrame = (now, meta) => {
    frames.push({ t: meta.presentationTime ?? now, video: role, visible: isVisible(video), colour: centreColour(video) });
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
 * The first frame on screen of a colour presented at or after `since` (page ms), or null.
 * @param {string} colour
 * @param {number} since
 */
export function firstVisible(colour, since) {
  for (const f of frames) if (f.visible && f.colour === colour && f.t >= since) return f.t;
  return null;
}
