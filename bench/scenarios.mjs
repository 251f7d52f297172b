// The bench scenarios and how one repetition of one runs: reset the servers, open a fresh
// page, start the player (or the hls.js baseline), let the primary play, inject the fault,
// wait for the fallback's first frame on screen plus 5 s, and turn the recording into figures.
import { openSession } from './session.mjs';
import { classifyPainted, failoverEvents, longestGap, pixelFigures, standbyCost, stateTrail, visibleFrameTimes } from './measure.mjs';

/** Colour of each named stream on both servers (hls-origin.mjs and whep-server.mjs agree). */
const COLOUR = /** @type {Record<string, string>} */ ({ primary: 'red', fallback: 'blue', spare: 'green' });
const AFTER_SWITCH_MS = 5000;
const FIRST_FRAME_TIMEOUT_MS = 20000;
// The primary plays this long before the fault: hls.js has filled its buffer to the live edge
// well before (the first load takes the whole 4-segment window), and it is the window over
// which the standby cost is counted.
const DEFAULT_STEADY_MS = 4000;
const PUBLISHER_WARMUP_MS = 2000;

/**
 * @typedef {{ server: 'hls' | 'whep', stream: string }} SourceRef
 * @typedef {{ server: 'hls' | 'whep', stream: string, fault: string | Record<string, unknown> }} FaultRef
 *
 * @typedef {object} Scenario
 * @property {string} name
 * @property {string} title
 * @property {'failover' | 'switchback' | 'first-frame'} kind
 * @property {SourceRef} primary
 * @property {SourceRef} [fallback]
 * @property {FaultRef} [fault]
 * @property {'warm'} [standby]
 * @property {boolean} baseline      also run the plain hls.js baseline page
 * @property {number} [steadyMs]     primary on screen this long before the fault
 * @property {{ metric: 'freezeMs' | 'firstFrameMs', max: number }} target
 */

const hls = (/** @type {string} */ stream) => /** @type {SourceRef} */ ({ server: 'hls', stream });
const whep = (/** @type {string} */ stream) => /** @type {SourceRef} */ ({ server: 'whep', stream });
/** @param {string | Record<string, unknown>} fault */
const hlsFault = (fault, stream = 'primary') => /** @type {FaultRef} */ ({ server: 'hls', stream, fault });
/** @param {string | Record<string, unknown>} fault */
const whepFault = (fault, stream = 'primary') => /** @type {FaultRef} */ ({ server: 'whep', stream, fault });

/** @type {Scenario[]} */
export const SCENARIOS = [
  { name: 'first-frame-hls', title: 'first frame, HLS', kind: 'first-frame', primary: hls('primary'), fallback: hls('fallback'), baseline: true, target: { metric: 'firstFrameMs', max: 1200 } },
  { name: 'first-frame-whep', title: 'first frame, WHEP', kind: 'first-frame', primary: whep('primary'), fallback: whep('fallback'), baseline: false, target: { metric: 'firstFrameMs', max: 800 } },
  { name: 'hls-404', title: 'HLS origin death (404)', kind: 'failover', primary: hls('primary'), fallback: hls('fallback'), fault: hlsFault('404'), baseline: true, target: { metric: 'freezeMs', max: 100 } },
  { name: 'hls-503', title: 'HLS 503', kind: 'failover', primary: hls('primary'), fallback: hls('fallback'), fault: hlsFault('503'), baseline: true, target: { metric: 'freezeMs', max: 100 } },
  { name: 'hls-refuse', title: 'HLS connection refused', kind: 'failover', primary: hls('primary'), fallback: hls('fallback'), fault: hlsFault('refuse'), baseline: true, target: { metric: 'freezeMs', max: 100 } },
  { name: 'hls-hang-segments', title: 'HLS hung segments', kind: 'failover', primary: hls('primary'), fallback: hls('fallback'), fault: hlsFault('hang-segments'), baseline: true, target: { metric: 'freezeMs', max: 300 } },
  { name: 'hls-freeze', title: 'HLS frozen playlist', kind: 'failover', primary: hls('primary'), fallback: hls('fallback'), fault: hlsFault('freeze'), baseline: true, target: { metric: 'freezeMs', max: 300 } },
  // HLS with a warm standby: what keeping the fallback loaded costs, and whether it helps.
  { name: 'hls-404-warm', title: 'HLS origin death (404), standby="warm"', kind: 'failover', primary: hls('primary'), fallback: hls('fallback'), fault: hlsFault('404'), standby: 'warm', baseline: false, target: { metric: 'freezeMs', max: 100 } },
  { name: 'hls-switch-back', title: 'HLS switch back (fallback dies)', kind: 'switchback', primary: hls('primary'), fallback: hls('fallback'), fault: hlsFault('404'), baseline: true, target: { metric: 'freezeMs', max: 100 } },
  // Publisher death with the server's `inactive` event (the WHEP server's default).
  { name: 'whep-whep', title: 'WHEP → WHEP, standby cold', kind: 'failover', primary: whep('primary'), fallback: whep('fallback'), fault: whepFault('publisher-gone'), baseline: false, steadyMs: 6000, target: { metric: 'freezeMs', max: 1000 } },
  { name: 'whep-whep-warm', title: 'WHEP → WHEP, standby="warm"', kind: 'failover', primary: whep('primary'), fallback: whep('fallback'), fault: whepFault('publisher-gone'), standby: 'warm', baseline: false, steadyMs: 6000, target: { metric: 'freezeMs', max: 200 } },
  { name: 'whep-hls', title: 'WHEP → HLS', kind: 'failover', primary: whep('primary'), fallback: hls('fallback'), fault: whepFault('publisher-gone'), baseline: false, target: { metric: 'freezeMs', max: 1500 } },
];

/**
 * @typedef {object} BenchContext
 * @property {import('playwright-core').Browser} browser
 * @property {import('../test/servers/hls-origin.mjs').Origin} origin
 * @property {import('../test/servers/whep-server.mjs').WhepServer} whep
 * @property {string} staticUrl
 * @property {number} capMs     give up waiting for a switch this long after the fault
 */

const sleep = (/** @type {number} */ ms) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

/**
 * Polls until fn() returns non-null or the deadline passes.
 * @template T @param {() => Promise<T | null>} fn @param {number} deadline epoch ms
 */
async function until(fn, deadline) {
  for (;;) {
    const value = await fn();
    if (value != null || Date.now() > deadline) return value;
    await sleep(150);
  }
}

/** @param {BenchContext} ctx @param {SourceRef} ref */
const urlOf = (ctx, ref) => (ref.server === 'hls' ? ctx.origin.streams[ref.stream].url : ctx.whep.streams[ref.stream].url);

/** @param {BenchContext} ctx @param {FaultRef} f @param {string | Record<string, unknown>} [fault] */
async function setFault(ctx, f, fault = f.fault) {
  const server = f.server === 'hls' ? ctx.origin : ctx.whep;
  await server.setFault(f.stream, /** @type {any} */ (fault));
}

/**
 * Clean servers. WHEP publishers (one ffmpeg encoder per stream) are restarted and sending
 * before a WHEP scenario starts, and stopped during HLS-only ones so their encoding does not
 * take CPU from the page on this 2-core machine.
 * @param {BenchContext} ctx @param {Scenario} sc
 */
async function resetServers(ctx, sc) {
  await ctx.origin.reset();
  if (sc.primary.server !== 'whep' && sc.fallback?.server !== 'whep') {
    for (const stream of Object.keys(ctx.whep.streams)) await ctx.whep.setFault(stream, { kind: 'publisher-gone', quiet: true });
    return;
  }
  const wereStopped = Object.keys(ctx.whep.streams).some((s) => !ctx.whep.stats(s).publisher);
  await ctx.whep.reset();
  const live = () => Object.keys(ctx.whep.streams).every((s) => {
    const st = ctx.whep.stats(s);
    return st.publisher && Date.now() - st.lastPacketAt < 300;
  });
  await until(async () => (live() ? true : null), Date.now() + 10000);
  // A freshly started encoder is still settling (rate control, first GOPs); give it a moment
  // so a WHEP run measures the player, not ffmpeg's start-up.
  if (wereStopped) await sleep(PUBLISHER_WARMUP_MS);
}

/**
 * One repetition.
 * @param {BenchContext} ctx
 * @param {Scenario} sc
 * @param {'element' | 'baseline'} player
 */
export async function runOnce(ctx, sc, player) {
  await resetServers(ctx, sc);
  const session = await openSession(ctx.browser, `${ctx.staticUrl}/bench/pages/${player === 'element' ? 'player' : 'baseline'}.html`);
  const from = COLOUR[sc.primary.stream];
  const to = sc.fallback ? COLOUR[sc.fallback.stream] : from;
  /** @type {Record<string, any>} */
  const marks = {};
  try {
    marks.startAt = Date.now();
    await session.start({
      primary: urlOf(ctx, sc.primary),
      fallback: sc.fallback && urlOf(ctx, sc.fallback),
      poster: ctx.origin.posterUrl,
      standby: sc.standby,
    });
    marks.firstAt = await until(() => session.firstVisible(from, 0), Date.now() + FIRST_FRAME_TIMEOUT_MS);
    if (marks.firstAt == null) throw new Error(`the primary (${from}) was never on screen within ${FIRST_FRAME_TIMEOUT_MS / 1000} s`);
    if (sc.kind === 'first-frame') {
      await sleep(500);
      return firstFrameFigures(await session.close(), marks, from);
    }
    const fault = /** @type {FaultRef} */ (sc.fault);
    let measuredFault = fault;
    let [fromColour, toColour] = [from, to];
    let steadyFrom = marks.firstAt;
    if (sc.kind === 'switchback') {
      // First switch (not measured): primary dies, fallback on screen; primary revived, and
      // the fallback plays the steady time before it dies in turn.
      await sleep((sc.steadyMs ?? DEFAULT_STEADY_MS) - (Date.now() - marks.firstAt));
      const t = Date.now();
      await setFault(ctx, fault);
      const onFallback = await until(() => session.firstVisible(to, t), t + ctx.capMs);
      if (onFallback == null) return { capped: true, error: `the first switch did not happen within ${ctx.capMs / 1000} s` };
      await setFault(ctx, fault, 'none');
      steadyFrom = onFallback;
      measuredFault = { ...fault, stream: /** @type {SourceRef} */ (sc.fallback).stream };
      [fromColour, toColour] = [to, from];
    }
    await sleep((sc.steadyMs ?? DEFAULT_STEADY_MS) - (Date.now() - steadyFrom));
    marks.standbyTo = Date.now();
    marks.faultAt = Date.now();
    await setFault(ctx, measuredFault);
    marks.switchAt = await until(() => session.firstVisible(toColour, marks.faultAt), marks.faultAt + ctx.capMs);
    marks.endAt = marks.switchAt != null ? marks.switchAt + AFTER_SWITCH_MS : marks.faultAt + ctx.capMs;
    await sleep(marks.endAt + 300 - Date.now());
    const recorded = await session.close();
    return failoverFigures(ctx, sc, recorded, marks, fromColour, toColour);
  } finally {
    await session.close().catch(() => {});
  }
}

/** @param {any} recorded @param {Record<string, any>} marks @param {string} colour */
function firstFrameFigures(recorded, marks, colour) {
  const { snap, painted } = recorded;
  const append = snap.events.find((/** @type {any} */ e) => e.type === 'append');
  const appendAt = snap.timeOrigin + append.t;
  const shots = classifyPainted(painted, appendAt, marks.firstAt + 500);
  const firstShot = shots.find((s) => s.colour === colour);
  return {
    firstFrameMs: Math.round(marks.firstAt - appendAt),
    px: {
      firstFrameMs: firstShot ? Math.round(firstShot.t - appendAt) : null,
      // What was painted while loading (the poster is expected here, black is not).
      blackFrames: shots.filter((s) => (!firstShot || s.t < firstShot.t) && s.colour === 'black').length,
      posterFrames: shots.filter((s) => (!firstShot || s.t < firstShot.t) && s.colour === 'poster').length,
    },
    states: stateTrail(snap, appendAt),
    pageErrors: recorded.consoleErrors,
  };
}

/**
 * @param {BenchContext} ctx @param {Scenario} sc @param {any} recorded
 * @param {Record<string, any>} marks @param {string} fromColour @param {string} toColour
 */
async function failoverFigures(ctx, sc, recorded, marks, fromColour, toColour) {
  const { snap, painted, requests } = recorded;
  const { faultAt, switchAt, endAt } = marks;
  const shots = classifyPainted(painted, faultAt - 2000, endAt);
  /** @type {Record<string, any>} */
  const result = {
    switched: switchAt != null,
    capped: switchAt == null,
    freezeMs: Math.round(longestGap(visibleFrameTimes(snap), faultAt, endAt)),
    faultToFrameMs: switchAt != null ? Math.round(switchAt - faultAt) : null,
    px: pixelFigures(shots, { faultAt, endAt, from: fromColour, to: toColour }),
    failover: failoverEvents(snap, faultAt),
    states: stateTrail(snap, faultAt),
    pageErrors: recorded.consoleErrors,
  };
  if (sc.kind === 'failover' && sc.fallback) {
    const standby = sc.fallback;
    const server = standby.server === 'hls' ? ctx.origin : ctx.whep;
    result.standby = {
      mode: sc.standby ?? 'cold',
      ...standbyCost({
        window: { from: marks.firstAt, to: marks.standbyTo },
        kind: standby.server,
        url: urlOf(ctx, standby),
        serverLog: server.log({ stream: standby.stream, since: marks.firstAt }),
        requests,
        rtc: snap.rtc ?? [],
        // Only this page's sessions: a page closed by an earlier run never sent its DELETE,
        // so the server may still count its session as open for a while.
        sessions: standby.server === 'whep' ? ctx.whep.sessions({ stream: standby.stream }).filter((s) => s.createdAt >= marks.startAt) : [],
        timeOrigin: snap.timeOrigin,
      }),
    };
  }
  return result;
}
