// Player bench page: creates one <live-player> on request, logs every presented frame of each
// of its videos (one per endpoint, told apart by data-key; counted as seen only while that
// video carries data-visible), and its statechange / failover / sourcechange events. The RTC tap is imported first so it wraps
// RTCPeerConnection before the element can use it.
import { rtcSnapshot } from '/bench/pages/rtc-tap.mjs';
import { watchVideo, mark, snapshot, firstVisible, firstVisibleFrame } from '/bench/pages/recorder.mjs';
import '/dist/live-player.js';

const isVisible = (/** @type {HTMLVideoElement} */ v) => v.hasAttribute('data-visible');

/**
 * @typedef {object} StartOptions
 * @property {string} primary
 * @property {string} [fallback]
 * @property {string} [poster]
 * @property {string} [standby]   'warm' sets the attribute (a no-op on elements without it)
 * @property {Record<string, number>} [thresholds]
 */

/** @param {StartOptions} options */
async function start(options) {
  const player = /** @type {any} */ (document.createElement('live-player'));
  player.setAttribute('primary', options.primary);
  if (options.fallback) player.setAttribute('fallback', options.fallback);
  if (options.poster) player.setAttribute('poster', options.poster);
  if (options.standby) player.setAttribute('standby', options.standby);
  player.setAttribute('muted', '');
  if (options.thresholds) player.thresholds = options.thresholds;
  player.addEventListener('statechange', (/** @type {CustomEvent} */ e) => mark('statechange', e.detail));
  player.addEventListener('failover', (/** @type {CustomEvent} */ e) => mark('failover', e.detail));
  player.addEventListener('sourcechange', (/** @type {CustomEvent} */ e) => mark('sourcechange', e.detail));
  player.addEventListener('error', (/** @type {CustomEvent} */ e) => mark('error', e.detail ?? null));

  // Videos may be (re)rendered at any update; watch whatever video appears in the shadow root.
  const attach = () => player.shadowRoot?.querySelectorAll('video').forEach((v) => watchVideo(v, isVisible));
  mark('append');
  document.body.append(player);
  await player.updateComplete;
  attach();
  new MutationObserver(attach).observe(player.shadowRoot, { childList: true, subtree: true });
}

/** @type {any} */ (window).bench = {
  start,
  firstVisible,
  firstVisibleFrame,
  snapshot: () => {
    const player = /** @type {any} */ (document.querySelector('live-player'));
    return { ...snapshot(), rtc: rtcSnapshot(), state: player?.getAttribute('data-state') ?? null, source: player?.source ?? null };
  },
};
/** @type {any} */ (window).benchReady = true;
