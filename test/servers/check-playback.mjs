// Manual check that the live origin's loop plays in real Chromium with hls.js: starts an
// origin, serves a bare hls.js page, plays a stream for N seconds (across loop boundaries)
// and reports currentTime progress, `waiting` events, hls.js errors and the centre pixel.
// Exits 1 when playback stalled. Not part of the test suite; run it after changing the media
// or the origin:  node test/servers/check-playback.mjs [--seconds 20] [--stream primary]

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startOrigin } from './hls-origin.mjs';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
/** @param {string} name @param {string} fallback */
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const seconds = Number(opt('seconds', '20'));
const streamName = opt('stream', 'primary');

const PAGE = `<!doctype html><meta charset="utf-8"><script src="/hls.js"></script>
<video id="v" muted playsinline width="320" height="180"></video>
<script>
  const state = { waiting: [], errors: [], events: [], firstFrameAt: null, startedAt: performance.now() };
  window.state = state;
  const v = document.getElementById('v');
  v.addEventListener('waiting', () => state.waiting.push({ t: performance.now(), ct: v.currentTime }));
  v.addEventListener('playing', () => { state.firstFrameAt ??= performance.now(); });
  window.start = (src) => {
    const hls = new Hls();
    hls.on(Hls.Events.ERROR, (_, d) => state.errors.push({ t: performance.now(), fatal: d.fatal, details: d.details }));
    hls.loadSource(src);
    hls.attachMedia(v);
    v.play().catch((e) => state.errors.push({ details: String(e) }));
  };
  window.centre = () => {
    const c = document.createElement('canvas'); c.width = 320; c.height = 180;
    const g = c.getContext('2d'); g.drawImage(v, 0, 0, 320, 180);
    return Array.from(g.getImageData(160, 90, 1, 1).data.slice(0, 3));
  };
</script>`;

/** Serves the page and hls.js on a free port. */
async function startPageServer() {
  const hls = await readFile(require.resolve('hls.js/dist/hls.js'));
  const server = createServer((req, res) => {
    if (req.url === '/hls.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(hls);
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { server, url: `http://127.0.0.1:${port}/` };
}

const origin = await startOrigin();
const page = await startPageServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--autoplay-policy=no-user-gesture-required',
    '--disable-background-networking',
    '--no-first-run',
  ],
});
/** @type {boolean} */
let ok;
try {
  const tab = await browser.newPage();
  await tab.goto(page.url);
  const src = origin.streams[streamName].url;
  await tab.evaluate((s) => /** @type {any} */ (window).start(s), src);
  /** @type {number[]} */
  const times = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const ct = await tab.evaluate(() => /** @type {HTMLVideoElement} */ (document.getElementById('v')).currentTime);
    const rgb = await tab.evaluate(() => /** @type {any} */ (window).centre());
    times.push(ct);
    console.log(`t=${i + 1}s currentTime=${ct.toFixed(3)} centre=rgb(${rgb.join(',')})`);
  }
  /** @type {{ waiting: { t: number }[], errors: { fatal?: boolean }[], firstFrameAt: number | null, startedAt: number }} */
  const state = await tab.evaluate(() => /** @type {any} */ (window).state);
  const firstFrame = state.firstFrameAt == null ? null : Math.round(state.firstFrameAt - state.startedAt);
  const started = times.findIndex((t) => t > 0);
  const steps = times.slice(started + 1).map((t, i) => t - times[started + i]);
  const waitingAfterStart = state.waiting.filter((w) => state.firstFrameAt != null && w.t > state.firstFrameAt);
  console.log(
    `first frame after ${firstFrame} ms; per-second advance min ${Math.min(...steps).toFixed(3)} max ${Math.max(...steps).toFixed(3)}`,
  );
  console.log(`waiting after start: ${waitingAfterStart.length}; hls.js errors: ${JSON.stringify(state.errors)}`);
  ok = started >= 0 && waitingAfterStart.length === 0 && steps.every((s) => s > 0.8 && s < 1.2) && !state.errors.some((e) => e.fatal);
} finally {
  await browser.close();
  page.server.close();
  await origin.close();
}
console.log(ok ? 'PLAYBACK OK' : 'PLAYBACK STALLED');
process.exit(ok ? 0 : 1);
