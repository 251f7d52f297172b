// In-page half of the background check (run.mjs). Mounts <live-player> elements when asked
// (window.bg.mount) and records, in page time (performance.now() ms):
// - the page's visibility changes (the proof that the page really was hidden, and when);
// - a 1 s interval timer's ticks (how hard the hidden page's timers were throttled);
// - each player's statechange, failover, sourcechange, warning and error events, and the media
//   events of its video on screen (play, pause, waiting, …), each with the page's visibility;
// - every frame each of its videos presents (requestVideoFrameCallback): counts while visible
//   and hidden, the first frame after the page is shown again and the first one that is new
//   (another media time than the last frame's before: frameClock()), with the colour at its centre (drawn into a
//   small canvas: MSE and WebRTC video do not taint it);
// - each video's getVideoPlaybackQuality() and playback position when the page is hidden and
//   when it is shown again (frames decoded while hidden, where the engine counts them).
// Node reads it all with window.bg.snapshot(); nothing here talks to Node by itself.
import '/dist/live-player.js';
import { classifyPatch } from '/bench/colour.mjs';

const now = () => performance.now();

/** @type {{ t: number, state: DocumentVisibilityState }[]} */
const visibility = [{ t: now(), state: document.visibilityState }];
/** @type {number[]} */
const ticks = [];
/** @type {{ t: number, name: string }[]} */
const marks = [];
/** @type {{ t: number, message: string }[]} */
const pageErrors = [];
/** When the page was last shown again after being hidden (page ms), or null. */
let shownAt = null;

// Each tick while hidden also samples the video each player had on screen when the page was
// hidden: whether it went on decoding and playing (as often as the page's timers run).
setInterval(() => {
  ticks.push(now());
  if (document.visibilityState !== 'hidden') return;
  for (const player of players.values()) {
    const key = player.onScreenAtHidden;
    const video = key ? player.element.shadowRoot?.querySelector(`video[data-key="${key}"]`) : null;
    if (video) player.hiddenSamples.push({ ...playbackOf(video), key, onScreen: videoOnScreen(player)?.dataset.key ?? null });
  }
}, 1000);
addEventListener('error', (e) => pageErrors.push({ t: now(), message: String(e.message ?? e) }));
addEventListener('unhandledrejection', (e) =>
  pageErrors.push({ t: now(), message: `unhandled rejection: ${e.reason?.message ?? e.reason}` }),
);

const canvas = document.createElement('canvas');
canvas.width = 4;
canvas.height = 4;
const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));

/** The colour at the centre of what the video shows now ('none' without a picture). @param {HTMLVideoElement} video */
function colourOf(video) {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return 'none';
  try {
    ctx.drawImage(video, (w >> 1) - 2, (h >> 1) - 2, 4, 4, 0, 0, 4, 4);
    return classifyPatch(ctx.getImageData(0, 0, 4, 4).data, 4, 4);
  } catch (error) {
    return `unreadable (${/** @type {Error} */ (error).name})`;
  }
}

/** @param {HTMLVideoElement} video */
function playbackOf(video) {
  const q = typeof video.getVideoPlaybackQuality === 'function' ? video.getVideoPlaybackQuality() : null;
  return {
    t: now(),
    currentTime: video.currentTime,
    paused: video.paused,
    muted: video.muted,
    readyState: video.readyState,
    decoded: q ? q.totalVideoFrames : null,
    dropped: q ? q.droppedVideoFrames : null,
  };
}

/**
 * A frame's place in its stream, to tell a new frame from the one on screen before: its media
 * time; where the engine leaves that at 0 (Firefox for WebRTC video), its RTP timestamp (which
 * may wrap, and a restarted video starts its media time over: so a frame is new when its place
 * differs from the last frame's before the page was shown, not when it is larger), else the
 * video's count of presented frames.
 * @param {VideoFrameCallbackMetadata & { rtpTimestamp?: number }} meta
 */
function frameClock(meta) {
  if (meta.mediaTime > 0) return { clock: 'mediaTime', value: meta.mediaTime };
  if (typeof meta.rtpTimestamp === 'number') return { clock: 'rtpTimestamp', value: meta.rtpTimestamp };
  return { clock: 'presentedFrames', value: meta.presentedFrames };
}

/**
 * @typedef {object} FrameNote
 * @property {number} t          callback time (page ms)
 * @property {number} sinceShown ms after the page was shown again
 * @property {number} mediaTime
 * @property {number} position   frameClock() value
 * @property {string} clock      which clock `position` is
 * @property {number} currentTime the video's, at the callback
 * @property {string} colour
 * @property {boolean} visible   the video was the player's one on screen
 *
 * @typedef {object} VideoRecord
 * @property {string} key
 * @property {number} frames        presented frames (callbacks) in all
 * @property {number} framesHidden  of them while the page was hidden
 * @property {number} framesAfterShown
 * @property {{ clock: string, value: number } | null} lastPositionBeforeShown  frameClock() of the last frame before the page was shown again
 * @property {FrameNote | null} firstAfterShown
 * @property {FrameNote | null} firstNewAfterShown  first with another position than the last one before
 * @property {{ t: number, mediaTime: number, position: number, clock: string, currentTime: number } | null} last
 * @property {ReturnType<typeof playbackOf> | null} atHidden
 * @property {ReturnType<typeof playbackOf> | null} atShown
 *
 * @typedef {object} PlayerRecord
 * @property {string} id
 * @property {any} element
 * @property {Record<string, unknown>} config
 * @property {{ t: number, type: string, visibility: string, detail: unknown }[]} events
 * @property {Map<string, VideoRecord>} videos
 * @property {string | null} onScreenAtHidden   data-key of its video on screen when the page was last hidden
 * @property {string | null} onScreenAtShown    … and when it was shown again
 * @property {(ReturnType<typeof playbackOf> & { key: string, onScreen: string | null })[]} hiddenSamples
 */

/** @type {Map<string, PlayerRecord>} */
const players = new Map();

/** @param {PlayerRecord} player */
const videosOf = (player) => /** @type {HTMLVideoElement[]} */ ([...(player.element.shadowRoot?.querySelectorAll('video') ?? [])]);
/** @param {PlayerRecord} player */
const videoOnScreen = (player) =>
  /** @type {HTMLVideoElement | null} */ (player.element.shadowRoot?.querySelector('video[data-visible]') ?? null);

/** @param {PlayerRecord} player @param {HTMLVideoElement} video */
function watchVideo(player, video) {
  const key = video.dataset.key ?? 'video';
  if (player.videos.has(key) || typeof video.requestVideoFrameCallback !== 'function') return;
  /** @type {VideoRecord} */
  const rec = {
    key,
    frames: 0,
    framesHidden: 0,
    framesAfterShown: 0,
    lastPositionBeforeShown: null,
    firstAfterShown: null,
    firstNewAfterShown: null,
    last: null,
    atHidden: null,
    atShown: null,
  };
  player.videos.set(key, rec);
  /** @type {VideoFrameRequestCallback} */
  const onFrame = (t, meta) => {
    rec.frames++;
    if (document.visibilityState === 'hidden') rec.framesHidden++;
    const mediaTime = meta.mediaTime;
    const { clock, value: position } = frameClock(meta);
    const currentTime = video.currentTime;
    if (shownAt != null && t >= shownAt && document.visibilityState === 'visible') {
      rec.framesAfterShown++;
      /** @returns {FrameNote} */
      const note = () => ({
        t,
        sinceShown: t - /** @type {number} */ (shownAt),
        mediaTime,
        position,
        clock,
        currentTime,
        colour: colourOf(video),
        visible: video.hasAttribute('data-visible'),
      });
      rec.firstAfterShown ??= note();
      const before = rec.lastPositionBeforeShown;
      if (!rec.firstNewAfterShown && (before?.clock !== clock || before.value !== position)) rec.firstNewAfterShown = note();
    } else {
      rec.lastPositionBeforeShown = { clock, value: position };
    }
    rec.last = { t, mediaTime, position, clock, currentTime };
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

document.addEventListener('visibilitychange', () => {
  const state = document.visibilityState;
  visibility.push({ t: now(), state });
  for (const player of players.values()) {
    const onScreen = videoOnScreen(player)?.dataset.key ?? null;
    if (state === 'hidden') {
      player.onScreenAtHidden = onScreen;
      player.hiddenSamples = [];
    } else player.onScreenAtShown = onScreen;
    for (const video of videosOf(player)) {
      const rec = player.videos.get(video.dataset.key ?? 'video');
      if (!rec) continue;
      if (state === 'hidden') rec.atHidden = playbackOf(video);
      else {
        rec.atShown = playbackOf(video);
        // A new showing: its first frames are looked for afresh.
        rec.firstAfterShown = null;
        rec.firstNewAfterShown = null;
        rec.framesAfterShown = 0;
      }
    }
  }
  if (state === 'visible') shownAt = now();
});

const RECORDED_EVENTS = [
  'statechange',
  'failover',
  'sourcechange',
  'warning',
  'error',
  'play',
  'playing',
  'pause',
  'waiting',
  'ended',
  'emptied',
];

/**
 * @typedef {object} PlayerSpec
 * @property {string} id
 * @property {string} primary
 * @property {string} [fallback]
 * @property {boolean} muted
 */

/** Mounts one <live-player> per spec. @param {PlayerSpec[]} specs */
function mount(specs) {
  for (const spec of specs) {
    const element = /** @type {any} */ (document.createElement('live-player'));
    element.id = spec.id;
    element.setAttribute('primary', spec.primary);
    if (spec.fallback) element.setAttribute('fallback', spec.fallback);
    if (spec.muted) element.setAttribute('muted', '');
    /** @type {PlayerRecord} */
    const player = {
      id: spec.id,
      element,
      config: { ...spec },
      events: [],
      videos: new Map(),
      onScreenAtHidden: null,
      onScreenAtShown: null,
      hiddenSamples: [],
    };
    players.set(spec.id, player);
    for (const type of RECORDED_EVENTS) {
      element.addEventListener(type, (/** @type {CustomEvent} */ e) => {
        // Media events are the host's re-dispatched ones (plain Events, no detail).
        const detail = e.detail ?? null;
        player.events.push({
          t: now(),
          type,
          visibility: document.visibilityState,
          detail: detail == null ? null : JSON.parse(JSON.stringify(detail)),
        });
      });
    }
    document.body.append(element);
    const attach = () => videosOf(player).forEach((video) => watchVideo(player, video));
    element.updateComplete.then(() => {
      attach();
      new MutationObserver(attach).observe(element.shadowRoot, { childList: true, subtree: true });
    });
  }
  return specs.map((s) => s.id);
}

/**
 * A copy that survives any driver's serialisation: plain JSON (WebDriver BiDi, for one, sends
 * an object met twice in a result only once).
 * @template T @param {T} value @returns {T}
 */
const plain = (value) => JSON.parse(JSON.stringify(value));

/** What Node polls: each player's state and the video on screen now. */
function status() {
  return plain(statusNow());
}

function statusNow() {
  return {
    now: now(),
    visibility: document.visibilityState,
    shownAt,
    players: [...players.values()].map((player) => {
      const video = videoOnScreen(player);
      const rec = video ? (player.videos.get(video.dataset.key ?? 'video') ?? null) : null;
      return {
        id: player.id,
        state: player.element.state,
        source: player.element.source?.stream ?? null,
        onScreen: video?.dataset.key ?? null,
        colour: video ? colourOf(video) : 'none',
        playback: video ? playbackOf(video) : null,
        frames: rec?.frames ?? 0,
        framesAfterShown: rec?.framesAfterShown ?? 0,
        firstNewAfterShown: rec?.firstNewAfterShown ?? null,
      };
    }),
  };
}

/** Everything recorded, with the clock origin Node needs to line page times up with its own. */
function snapshot() {
  return plain({
    timeOrigin: performance.timeOrigin,
    now: now(),
    userAgent: navigator.userAgent,
    hasPeerConnection: typeof RTCPeerConnection === 'function',
    visibility,
    ticks,
    marks,
    pageErrors,
    shownAt,
    status: statusNow(),
    players: [...players.values()].map((p) => ({
      id: p.id,
      config: p.config,
      events: p.events,
      videos: [...p.videos.values()],
      onScreenAtHidden: p.onScreenAtHidden,
      onScreenAtShown: p.onScreenAtShown,
      hiddenSamples: p.hiddenSamples,
    })),
  });
}

/** A named instant in page time (Node marks 'hide' and 'show'). @param {string} name */
function mark(name) {
  const t = now();
  marks.push({ t, name });
  return t;
}

/** @type {any} */ (window).bg = {
  mount,
  status,
  snapshot,
  mark,
  features: () => ({
    peerConnection: typeof RTCPeerConnection === 'function',
    rvfc: 'requestVideoFrameCallback' in HTMLVideoElement.prototype,
  }),
};
/** @type {any} */ (window).bgReady = true;
