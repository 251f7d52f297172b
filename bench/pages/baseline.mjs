// Baseline bench page: what a site gets from plain hls.js (default config). One <video>
// plays the primary; on a fatal hls.js ERROR or the video's `ended` the Hls instance is
// destroyed and the other stream is loaded into the same video. Frames are logged like on
// the player page (the one video is always the visible one).
import Hls from '/hls/hls.mjs';
import { watchVideo, mark, snapshot, firstVisible, firstVisibleFrame } from '/bench/pages/recorder.mjs';

/** @param {{ primary: string, fallback: string }} options */
function start(options) {
  const video = document.createElement('video');
  video.id = 'baseline';
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  const urls = [options.primary, options.fallback];
  let current = 0;
  /** @type {Hls | null} */
  let hls = null;

  const load = () => {
    hls = new Hls();
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      mark('fatal', { details: data.details, type: data.type });
      switchOver(`fatal ${data.details}`);
    });
    hls.loadSource(urls[current]);
    hls.attachMedia(video);
    video.play().catch(() => {});
  };
  /** @param {string} reason */
  const switchOver = (reason) => {
    if (!urls[1 - current]) return;
    hls?.destroy();
    current = 1 - current;
    mark('switch', { to: current === 0 ? 'primary' : 'fallback', reason });
    load();
  };
  video.addEventListener('ended', () => switchOver('ended'));

  mark('append');
  document.body.append(video);
  watchVideo(video, () => true);
  load();
}

/** @type {any} */ (window).bench = {
  start,
  firstVisible,
  firstVisibleFrame,
  snapshot: () => ({ ...snapshot(), rtc: [], state: null }),
};
/** @type {any} */ (window).benchReady = true;
