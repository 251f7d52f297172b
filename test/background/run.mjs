// Background tabs (issue 10): a viewer who leaves the tab for minutes and comes back must find
// the stream playing, not a failover or a pre-live screen caused by throttled timers or paused
// decoding in a hidden page. The other tests run with the anti-throttling switches; this one
// runs without them, in every engine that can hide a page, all engines at the same time.
//
//   npm run build && npm run background [-- --engines chromium,firefox,webkit] [--minutes 5.25]
//   (npm test runs it as check:background, with --out test-results/background-check.json)
//
// Per engine (in parallel): one browser, three pages, each in a window of its own and on a
// site of its own (127.0.0.1, .2, .3, so no two share a renderer process):
//   hls-muted   HLS primary + HLS fallback, muted
//   hls-sound   HLS primary + HLS fallback, with sound
//   whep-muted  WHEP primary + WHEP fallback, muted (only where the engine has RTCPeerConnection)
// One player per page on purpose: Chromium exempts an audible page, and a page with a WebRTC
// connection, from intensive timer throttling, so players sharing a page would shield each other.
// Once every player plays its primary (red), the pages are hidden as a viewer hides them (see
// drivers.mjs) for BACKGROUND_MINUTES (default 5.25: Chromium documents intensive wake-up
// throttling, timers aligned to once a minute, after 5 minutes hidden; Chromium 156 here did it
// to the muted HLS page after 1 minute), measured here, then shown again. Each player must then, within 10 s,
// present a new frame (not the one on screen when it was hidden) of its stream's colour, still be
// in `primary`, and have fired no statechange, failover, sourcechange or error since the page
// was hidden; it is watched for OBSERVE_SECONDS (default 20) after it is shown. A page that
// never reported `hidden` makes the run invalid (a failure).
//
// Prints a table, writes bench-results/background.json (the summary, committed; the docs'
// hidden-tab table is rewritten from it: scripts/docs-tables.mjs) and test-results/background.json
// (everything: each page's records, the WHEP log), exits 1 on any failure (an engine that
// cannot run at all, e.g. a hung WebKit web process, is a failure too; --engines chooses).
// Options: --engines LIST (or BACKGROUND_ENGINES), --minutes N (or BACKGROUND_MINUTES),
// --observe S (or BACKGROUND_OBSERVE_SECONDS), --out FILE (the summary elsewhere; no doc update).
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, extname, join, normalize, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { startOrigin } from '../servers/hls-origin.mjs';
import { startWhepServer } from '../servers/whep-server.mjs';
import { until } from '../support/until.mjs';
import { driverFor, within } from './drivers.mjs';
import { writeTables } from '../../scripts/docs-tables.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ENGINES = /** @type {const} */ (['chromium', 'firefox', 'webkit']);
/** @typedef {(typeof ENGINES)[number]} Engine */

/** Pages per engine, each on its own loopback address (its own site). */
const PAGES = [
  { name: 'hls-muted', host: '127.0.0.1', kind: 'hls', muted: true },
  { name: 'hls-sound', host: '127.0.0.2', kind: 'hls', muted: false },
  { name: 'whep-muted', host: '127.0.0.3', kind: 'whep', muted: true },
];
const STREAM_COLOUR = 'red';
const FIRST_FRAME_LIMIT_MS = 10_000;
const SETUP_MS = 90_000;
const SETTLE_MS = 3000;
const SUMMARY_FILE = 'bench-results/background.json';
const DETAIL_FILE = 'test-results/background.json';

// ---------------------------------------------------------------------------------------------
// Options

function option(name, envName) {
  const argv = process.argv.slice(2);
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const at = argv.indexOf(`--${name}`);
  if (at >= 0) return argv[at + 1];
  return envName ? process.env[envName] : undefined;
}

function parseOptions() {
  const engines = (option('engines', 'BACKGROUND_ENGINES') ?? ENGINES.join(','))
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const unknown = engines.filter((e) => !ENGINES.includes(/** @type {Engine} */ (e)));
  if (unknown.length || !engines.length)
    throw new Error(`--engines: one or more of ${ENGINES.join(', ')} (got '${unknown.join(',')}')`);
  const minutes = Number(option('minutes', 'BACKGROUND_MINUTES') ?? 5.25);
  const observeSeconds = Number(option('observe', 'BACKGROUND_OBSERVE_SECONDS') ?? 20);
  if (!(minutes > 0) || !(observeSeconds >= FIRST_FRAME_LIMIT_MS / 1000)) {
    throw new Error(`--minutes must be > 0 and --observe at least ${FIRST_FRAME_LIMIT_MS / 1000} s`);
  }
  const out = resolve(option('out') ?? join(ROOT, SUMMARY_FILE));
  return { engines: /** @type {Engine[]} */ ([...new Set(engines)]), minutes, observeSeconds, out };
}

// ---------------------------------------------------------------------------------------------
// The built element and the test page

async function newestMtime(dir) {
  let max = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) max = Math.max(max, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return max;
}

/** dist/live-player.js must exist (npm run build); a warning when src/ is newer. */
async function checkBuild() {
  const bundle = join(ROOT, 'dist/live-player.js');
  const built = await stat(bundle).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (!built) throw Object.assign(new Error(`${relative(ROOT, bundle)} is missing: run \`npm run build\` first`), { exitCode: 2 });
  const source = await newestMtime(join(ROOT, 'src'));
  return source > built ? `WARNING: src/ is newer than dist/live-player.js: this checks the last build (npm run build)` : null;
}

const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.map': 'application/json' };
/** URL prefix -> directory or file served under it. */
const MOUNTS = [
  ['/dist/', join(ROOT, 'dist')],
  ['/test/background/', join(ROOT, 'test/background')],
  ['/bench/colour.mjs', join(ROOT, 'bench/colour.mjs')],
];

/** The page and the element, from one handler listening on each host (a site per page). @param {string[]} hosts */
async function startStatic(hosts) {
  const handler = async (
    /** @type {import('node:http').IncomingMessage} */ req,
    /** @type {import('node:http').ServerResponse} */ res,
  ) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const mount = MOUNTS.find(([prefix]) => path.startsWith(prefix));
    const file =
      mount && (mount[0].endsWith('/') ? normalize(join(mount[1], path.slice(mount[0].length))) : path === mount[0] ? mount[1] : null);
    if (!mount || !file || !file.startsWith(mount[1])) return void res.writeHead(404).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': TYPES[/** @type {keyof TYPES} */ (extname(file))] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  };
  /** @type {{ server: import('node:http').Server, sockets: Set<import('node:net').Socket> }[]} */
  const servers = [];
  /** @type {Record<string, number>} */
  const ports = {};
  for (const host of hosts) {
    const server = createServer(handler);
    const sockets = new Set();
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    servers.push({ server, sockets });
    ports[host] = await new Promise((done, fail) => {
      server.once('error', (e) => fail(new Error(`cannot listen on ${host}: ${e.message}`)));
      server.listen(0, host, () => done(/** @type {import('node:net').AddressInfo} */ (server.address()).port));
    });
  }
  return {
    ports,
    close: () =>
      Promise.all(
        servers.map(({ server, sockets }) => {
          for (const s of sockets) s.destroy();
          return new Promise((done) => server.close(() => done(undefined)));
        }),
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// One engine

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;

/** HLS streams of one engine's player: its own pair, so the origin's log is that player's. */
const hlsStreams = (engine, page) => ({ primary: `${engine}-${page}-primary`, fallback: `${engine}-${page}-fallback` });

/**
 * @param {Engine} engine
 * @param {{ origin: Awaited<ReturnType<typeof startOrigin>>, whep: Awaited<ReturnType<typeof startWhepServer>> | null,
 *   ports: Record<string, number>, minutes: number, observeSeconds: number, drivers: Set<any> }} env
 */
async function runEngine(engine, env) {
  const say = (line) => console.log(`[${clock()}] ${engine.padEnd(8)} ${line}`);
  const driver = driverFor(engine);
  env.drivers.add(driver);
  const result = {
    engine,
    version: '',
    ran: false,
    stage: 'launch',
    error: /** @type {string | null} */ (null),
    hide: driver.hideMethod,
    show: driver.showMethod,
    skipped: /** @type {{ page: string, reason: string }[]} */ ([]),
    hiddenAt: 0,
    shownAt: 0,
    nodeHiddenMs: 0,
    /** A browser call got no answer: a hung page (or browser). */
    hung: false,
    pages: /** @type {any[]} */ ([]),
  };
  /** @type {{ def: (typeof PAGES)[number], handle: any, spec: any, url: string }[]} */
  const open = [];
  try {
    await driver.launch();
    result.version = driver.version;
    say(`launched ${driver.version}`);

    result.stage = 'open the pages';
    /** @type {{ peerConnection: boolean, rvfc: boolean } | null} */
    let features = null;
    for (const def of PAGES) {
      if (def.kind === 'whep' && features && !features.peerConnection) {
        result.skipped.push({ page: def.name, reason: 'no RTCPeerConnection in this engine' });
        continue;
      }
      if (def.kind === 'whep' && !env.whep) {
        result.skipped.push({ page: def.name, reason: 'no WHEP server' });
        continue;
      }
      const url = `http://${def.host}:${env.ports[def.host]}/test/background/page.html?page=${def.name}`;
      const handle = await driver.open(url);
      features ??= await driver.call(handle, 'features');
      if (!features?.rvfc) throw new Error('this engine has no requestVideoFrameCallback: new frames cannot be told');
      const streams = def.kind === 'hls' ? hlsStreams(engine, def.name) : null;
      const spec = {
        id: def.name,
        primary: streams ? env.origin.streams[streams.primary].url : env.whep?.streams.primary.url,
        fallback: streams ? env.origin.streams[streams.fallback].url : env.whep?.streams.fallback.url,
        muted: def.muted,
      };
      await driver.call(handle, 'mount', [spec]);
      open.push({ def, handle, spec, url });
    }

    result.stage = 'start the players';
    /** @type {any[]} */
    let notYet = [];
    await until(
      async () => {
        const statuses = await Promise.all(open.map((o) => driver.call(o.handle, 'status')));
        const players = statuses.flatMap((s) => s.players);
        notYet = players.filter(
          (p) => !(p.state === 'primary' && p.colour === STREAM_COLOUR && p.frames >= 30 && p.playback && !p.playback.paused),
        );
        return notYet.length === 0;
      },
      () =>
        `every player playing its primary (${notYet
          .map((p) => `${p.id}: state ${p.state}, colour ${p.colour}, ${p.frames} frames, paused ${p.playback?.paused ?? '-'}`)
          .join('; ')})`,
      SETUP_MS,
      500,
    );
    say(`${open.length} players play their primary (${open.map((o) => o.def.name).join(', ')}); hiding in ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);

    result.stage = 'hide the pages';
    for (const o of open) await driver.call(o.handle, 'mark', 'hide');
    await driver.hide(open.map((o) => o.handle));
    result.hiddenAt = Date.now();
    /** @type {any[]} */
    let visible = [];
    await until(
      async () => {
        visible = (await Promise.all(open.map((o) => driver.call(o.handle, 'status')))).filter((s) => s.visibility !== 'hidden');
        return visible.length === 0;
      },
      () => `every page hidden (${visible.length} still '${visible[0]?.visibility}': the run would prove nothing)`,
      5000,
      200,
    );
    say(`pages hidden (${driver.hideMethod}); showing them again in ${env.minutes} min`);
    result.ran = true;
    await sleep(result.hiddenAt + env.minutes * 60_000 - Date.now());

    result.stage = 'show the pages';
    await driver.show(open.map((o) => o.handle));
    result.shownAt = Date.now();
    result.nodeHiddenMs = result.shownAt - result.hiddenAt;
    for (const o of open) await driver.call(o.handle, 'mark', 'show');
    say(`pages shown again after ${(result.nodeHiddenMs / 60_000).toFixed(2)} min; watching for ${env.observeSeconds} s`);

    result.stage = 'watch after shown';
    const end = result.shownAt + env.observeSeconds * 1000;
    let reported = false;
    while (Date.now() < end) {
      const statuses = await Promise.all(open.map((o) => driver.call(o.handle, 'status')));
      const players = statuses.flatMap((s) => s.players);
      if (!reported && players.every((p) => p.firstNewAfterShown)) {
        reported = true;
        say(`new frames after shown: ${players.map((p) => `${p.id} ${Math.round(p.firstNewAfterShown.sinceShown)} ms`).join(', ')}`);
      }
      await sleep(Math.min(500, Math.max(0, end - Date.now())));
    }
    result.stage = 'done';
  } catch (error) {
    result.error = /** @type {Error} */ (error).message;
    say(`FAILED at '${result.stage}': ${result.error}`);
  }
  // Whatever happened, collect what the pages recorded (a hung page answers nothing).
  result.hung = /no answer within/.test(result.error ?? '');
  for (const o of open) {
    /** @type {any} */
    let snapshot = null;
    let snapshotError = null;
    try {
      snapshot = await driver.call(o.handle, 'snapshot', null, result.hung ? 8000 : 30_000);
    } catch (error) {
      snapshotError = /** @type {Error} */ (error).message;
    }
    result.pages.push({ name: o.def.name, url: o.url, spec: o.spec, snapshot, snapshotError });
  }
  await driver.close();
  env.drivers.delete(driver);
  say('browser closed');
  return result;
}

// ---------------------------------------------------------------------------------------------
// Judging what the pages recorded

const FORBIDDEN = ['statechange', 'failover', 'sourcechange', 'error'];

/** "pause×1, play×1" @param {{ type: string }[]} events */
const countTypes = (events) => {
  const counts = new Map();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].map(([t, n]) => (n > 1 ? `${t}×${n}` : t)).join(', ') || 'none';
};

/** Longest gap between consecutive times in [from, to] (the bounds count as times), in ms. @param {number[]} times */
function maxGap(times, from, to) {
  const inside = [from, ...times.filter((t) => t > from && t < to), to];
  let max = 0;
  for (let i = 1; i < inside.length; i++) max = Math.max(max, inside[i] - inside[i - 1]);
  return max;
}

/**
 * One player's verdict and figures from its page's snapshot.
 * @param {any} engineResult @param {any} page @param {{ minutes: number, observeSeconds: number, origin: any }} env
 */
function judge(engineResult, page, env) {
  const reasons = [];
  const figures = /** @type {Record<string, unknown>} */ ({});
  const snap = page.snapshot;
  const verdict = {
    engine: engineResult.engine,
    page: page.name,
    player: page.spec.id,
    muted: page.spec.muted,
    passed: false,
    reasons,
    figures,
  };
  if (!snap) {
    reasons.push(`the page answered nothing at the end (${page.snapshotError}): hung?`);
    return verdict;
  }
  const player = snap.players.find((p) => p.id === page.spec.id);
  const hideMark = snap.marks.find((m) => m.name === 'hide')?.t;
  const hidden = hideMark == null ? undefined : snap.visibility.find((v) => v.t >= hideMark - 50 && v.state === 'hidden');
  const shown = hidden && snap.visibility.find((v) => v.t > hidden.t && v.state === 'visible');
  const toEpoch = (t) => snap.timeOrigin + t;
  figures.sawHidden = Boolean(hidden);
  figures.hiddenMs = hidden && shown ? Math.round(shown.t - hidden.t) : null;
  if (hideMark == null) reasons.push('the page was never hidden (the run stopped before)');
  else if (!hidden) reasons.push("the page never reported 'hidden': the run is invalid");
  else if (!shown) reasons.push("the page never reported 'visible' again after it was hidden");
  else if (/** @type {number} */ (figures.hiddenMs) < env.minutes * 60_000 - 5000) {
    reasons.push(`hidden only ${/** @type {number} */ (figures.hiddenMs / 1000).toFixed(1)} s by the page's account`);
  }
  if (engineResult.error && engineResult.stage !== 'done')
    reasons.push(`the engine failed at '${engineResult.stage}': ${engineResult.error}`);
  if (!player) {
    reasons.push('the player was not mounted');
    return verdict;
  }

  // Events since the page was hidden.
  const since = hideMark ?? Infinity;
  const afterHide = player.events.filter((e) => e.t >= since);
  const whileHidden = afterHide.filter((e) => !shown || e.t < shown.t);
  const afterShown = shown ? afterHide.filter((e) => e.t >= shown.t) : [];
  figures.eventsWhileHidden = hideMark == null ? null : countTypes(whileHidden);
  figures.eventsAfterShown = shown ? countTypes(afterShown) : null;
  const forbidden = afterHide.filter((e) => FORBIDDEN.includes(e.type));
  for (const e of forbidden.slice(0, 6)) {
    const when =
      shown && e.t >= shown.t
        ? `${Math.round(e.t - shown.t)} ms after shown`
        : hidden
          ? `${((e.t - hidden.t) / 1000).toFixed(1)} s after hidden`
          : 'after hide';
    const { state, previous, reason, cause, source, from, to } = e.detail ?? {};
    const what =
      e.type === 'statechange'
        ? `${previous} -> ${state}`
        : e.type === 'failover'
          ? `${from} -> ${to}`
          : e.type === 'sourcechange'
            ? `-> ${source?.stream ?? 'nothing'}`
            : '';
    reasons.push(`${e.type} ${what} ${when} (${reason ?? ''}${cause ? `: ${cause}` : ''})`.replace(/ +/g, ' '));
  }
  if (forbidden.length > 6) reasons.push(`… ${forbidden.length - 6} more of these (see the JSON)`);

  // The picture after the page is shown again.
  const status = snap.status.players.find((p) => p.id === page.spec.id);
  figures.stateAtEnd = status?.state ?? null;
  figures.sourceAtEnd = status?.source ?? null;
  if (status?.state !== 'primary') reasons.push(`state '${status?.state}' at the end, not 'primary'`);
  else if (status.source !== 'primary') reasons.push(`the ${status.source} stream on screen at the end, not the primary`);
  const video = player.videos.find((v) => v.key === status?.onScreen);
  const first = video?.firstNewAfterShown ?? null;
  figures.onScreen = status?.onScreen ?? null;
  figures.firstNewFrameMs = first ? Math.round(first.sinceShown) : null;
  figures.firstFrameAfterShownMs = video?.firstAfterShown ? Math.round(video.firstAfterShown.sinceShown) : null;
  figures.firstNewFrameColour = first?.colour ?? null;
  figures.colourAtEnd = status?.colour ?? null;
  if (shown) {
    if (!first) reasons.push(`no new frame in ${env.observeSeconds} s after shown`);
    else {
      if (first.sinceShown > FIRST_FRAME_LIMIT_MS)
        reasons.push(`first new frame ${Math.round(first.sinceShown)} ms after shown (limit ${FIRST_FRAME_LIMIT_MS} ms)`);
      if (first.colour !== STREAM_COLOUR) reasons.push(`first new frame is ${first.colour}, not ${STREAM_COLOUR}`);
    }
    if (status?.colour !== STREAM_COLOUR) reasons.push(`picture at the end is ${status?.colour}, not ${STREAM_COLOUR}`);
    // Still playing at the end: frames near the end, media time running.
    const lastFrame = video?.last;
    if (first && lastFrame) {
      const wall = (lastFrame.t - first.t) / 1000;
      const media = lastFrame.currentTime - first.currentTime;
      figures.frameClock = first.clock;
      figures.playedSecondsAfterFirstFrame = Number(media.toFixed(2));
      figures.framesAfterShown = video.framesAfterShown;
      if (snap.now - lastFrame.t > 2000)
        reasons.push(`no frame in the last ${((snap.now - lastFrame.t) / 1000).toFixed(1)} s of watching`);
      if (wall > 2 && media < wall * 0.5)
        reasons.push(`playback ran ${media.toFixed(1)} s in ${wall.toFixed(1)} s after the first new frame`);
    }
    if (status?.playback?.paused) reasons.push('the video on screen is paused at the end');
  }
  if (!page.spec.muted) {
    figures.mutedAtEnd = status?.playback?.muted ?? null;
    if (status?.playback?.muted) reasons.push('the player meant to play with sound is muted at the end');
  }

  // What the hidden page did: decoding, presented frames, timers, requests.
  if (hidden && shown) {
    // The video on screen when the page was hidden, sampled at each timer tick while hidden.
    const hv = player.videos.find((v) => v.key === player.onScreenAtHidden);
    figures.onScreenAtHidden = player.onScreenAtHidden;
    const a = hv?.atHidden;
    if (hv && a) {
      figures.framesPresentedWhileHidden = hv.framesHidden;
      // Its state when shown again, unless the player let it go meanwhile (then it is reset).
      const samples = [a, ...player.hiddenSamples.filter((x) => x.key === hv.key), ...(hv.atShown?.readyState ? [hv.atShown] : [])];
      // Some engines count no decoded frames for some video (Firefox for WebRTC): not readable.
      if (a.decoded) {
        // Frames decoded (a counter that drops was started over: the player restarted the
        // video), and when decoding was first seen to stop while the playhead went on.
        let decoded = 0;
        let stoppedAt = null;
        for (let i = 1; i < samples.length; i++) {
          const step = samples[i].decoded - samples[i - 1].decoded;
          if (step > 0) decoded += step;
          else if (step < 0) decoded += samples[i].decoded;
          else if (
            stoppedAt == null &&
            samples[i].t - samples[i - 1].t >= 500 &&
            samples[i].currentTime > samples[i - 1].currentTime
          ) {
            stoppedAt = samples[i - 1].t;
          }
        }
        figures.decodedWhileHidden = decoded;
        figures.decodingStoppedAfterMs = stoppedAt == null ? null : Math.round(stoppedAt - hidden.t);
      } else {
        figures.decodedWhileHidden = null;
      }
      figures.playedSecondsWhileHidden = Number((Math.max(...samples.map((x) => x.currentTime)) - a.currentTime).toFixed(1));
      figures.pausedWhenShown = hv.atShown?.paused ?? null;
    }
    figures.maxTimerGapHiddenMs = Math.round(maxGap(snap.ticks, hidden.t, shown.t));
    figures.timerTicksWhileHidden = snap.ticks.filter((t) => t > hidden.t && t < shown.t).length;
    if (page.spec.primary.endsWith('.m3u8')) {
      const stream = hlsStreams(engineResult.engine, page.name).primary;
      const from = toEpoch(hidden.t);
      const to = toEpoch(shown.t);
      const log = env.origin.log({ stream }).filter((e) => e.t >= from && e.t < to);
      const playlists = log.filter((e) => e.kind === 'playlist').map((e) => e.t);
      figures.playlistRequestsWhileHidden = playlists.length;
      figures.segmentRequestsWhileHidden = log.filter((e) => e.kind === 'segment').length;
      figures.maxPlaylistGapHiddenMs = Math.round(maxGap(playlists, from, to));
    }
  }
  figures.pageErrors = snap.pageErrors.map((e) => e.message);
  verdict.passed = reasons.length === 0;
  return verdict;
}

// ---------------------------------------------------------------------------------------------
// Report

function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const s1 = (ms) => (ms == null ? '-' : `${(ms / 1000).toFixed(1)} s`);
const msText = (ms) => (ms == null ? '-' : `${ms} ms`);

function table(rows) {
  const header = [
    'engine',
    'player',
    'result',
    'hidden',
    '1st new frame',
    'events while hidden',
    'events after shown',
    'decoded hidden',
    'max timer gap',
    'max playlist gap',
  ];
  const lines = rows.map((r) => [
    r.engine,
    r.player,
    r.passed ? 'passed' : 'FAILED',
    s1(r.figures.hiddenMs),
    msText(r.figures.firstNewFrameMs),
    r.figures.eventsWhileHidden ?? '-',
    r.figures.eventsAfterShown ?? '-',
    r.figures.decodedWhileHidden == null
      ? '-'
      : `${r.figures.decodedWhileHidden}${r.figures.decodingStoppedAfterMs != null ? ` (stopped at ${s1(r.figures.decodingStoppedAfterMs)}, playing on)` : ''}`,
    s1(r.figures.maxTimerGapHiddenMs),
    s1(r.figures.maxPlaylistGapHiddenMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const options = parseOptions();
  const warning = await checkBuild();
  if (warning) console.log(warning);
  if (options.minutes < 5)
    console.log(
      `NOTE: hidden ${options.minutes} min only: issue 10 asks for more than 5 (Chromium's documented start of intensive throttling).`,
    );
  console.log(
    `Background check: ${options.engines.join(', ')} in parallel, hidden ${options.minutes} min, watched ${options.observeSeconds} s after shown ` +
      `(about ${Math.ceil(options.minutes + (options.observeSeconds + 60) / 60)} min); ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}`,
  );

  /** @type {(() => Promise<unknown>)[]} */
  const closers = [];
  const drivers = new Set();
  const stopAll = async () => {
    for (const d of drivers) d.kill();
    for (const close of closers.reverse()) await within(15_000, 'closing a server', close()).catch((e) => console.error(e.message));
  };
  const onSignal = (signal) => {
    for (const d of drivers) d.kill();
    console.error(`\n${signal}: browsers ended`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    /** @type {Record<string, string>} */
    const streams = {};
    for (const engine of options.engines) {
      for (const page of PAGES.filter((p) => p.kind === 'hls')) {
        const s = hlsStreams(engine, page.name);
        streams[s.primary] = 'red';
        streams[s.fallback] = 'blue';
      }
    }
    const origin = await startOrigin({ streams, edges: ['a'] });
    closers.push(() => origin.close());
    // WebKitGTK has no WebRTC here: no publishers for a WebKit-only run.
    const whep = options.engines.some((e) => e !== 'webkit') ? await startWhepServer() : null;
    if (whep) closers.push(() => whep.close());
    const statics = await startStatic([...new Set(PAGES.map((p) => p.host))]);
    closers.push(() => statics.close());
    console.log(
      `[${clock()}] servers up: HLS origin (${Object.keys(streams).length} streams), ${whep ? 'WHEP server (2 publishers), ' : ''}pages on ${Object.keys(statics.ports).join(', ')}`,
    );

    const env = { origin, whep, ports: statics.ports, minutes: options.minutes, observeSeconds: options.observeSeconds, drivers };
    const engines = await Promise.all(options.engines.map((engine) => runEngine(engine, env)));

    const verdicts = engines.flatMap((e) => e.pages.map((p) => judge(e, p, env)));
    const couldNotRun = engines.filter((e) => !e.ran);
    console.log('');
    if (verdicts.length) console.log(table(verdicts));
    for (const e of couldNotRun) {
      console.log(
        `${e.engine}: could not run (failed at '${e.stage}'${e.hung ? ', its page stopped answering: hung' : ''}): ${e.error}`,
      );
    }
    for (const e of engines) for (const s of e.skipped) console.log(`${e.engine}: ${s.page} skipped: ${s.reason}`);
    for (const v of verdicts.filter((v) => !v.passed)) console.log(`${v.engine} ${v.player}: ${v.reasons.join('; ')}`);
    const passed = verdicts.filter((v) => v.passed).length;
    const failed = verdicts.length - passed;
    const ok = failed === 0 && couldNotRun.length === 0 && verdicts.length > 0;

    const report = {
      date: new Date(started).toISOString(),
      gitHead: gitHead(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      options: {
        engines: options.engines,
        minutes: options.minutes,
        observeSeconds: options.observeSeconds,
        firstFrameLimitMs: FIRST_FRAME_LIMIT_MS,
      },
      machine: { cores: cpus().length, loadAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
      passed: ok,
      summary: verdicts.map(({ engine, player, passed: p, reasons, figures }) => ({ engine, player, passed: p, reasons, figures })),
      engines: engines.map((e) => ({
        ...e,
        pages: e.pages.map((p) => ({ ...p, verdict: verdicts.find((v) => v.engine === e.engine && v.page === p.name) })),
      })),
      whepLog: whep?.log() ?? [],
    };
    // The summary leaves out each page's records and the WHEP log (hundreds of KB): those go to DETAIL_FILE.
    const { engines: detail, whepLog, ...summary } = report;
    summary.engines = detail.map(({ pages, ...engine }) => ({ ...engine, pages: pages.map((p) => p.name) }));
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, `${JSON.stringify(summary, null, 1)}\n`);
    const detailFile = join(ROOT, DETAIL_FILE);
    await mkdir(dirname(detailFile), { recursive: true });
    await writeFile(detailFile, `${JSON.stringify(report, null, 1)}\n`);
    if (options.out === join(ROOT, SUMMARY_FILE)) writeTables({ log: (line) => console.log(line) });
    console.log(
      `\n${passed} passed, ${failed} failed${couldNotRun.length ? `, ${couldNotRun.length} engine(s) could not run` : ''} in ${report.durationSeconds} s; wrote ${relative(process.cwd(), options.out)} (details: ${DETAIL_FILE})`,
    );
    return ok ? 0 : 1;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.message ?? error);
    process.exit(error.exitCode ?? 1);
  },
);
