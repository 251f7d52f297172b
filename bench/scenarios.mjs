// The bench scenarios and how one repetition of one runs: reset the servers, open a fresh
// page, start the player (or the hls.js baseline), let the primary play, inject the fault,
// wait for the fallback's first frame on screen plus 5 s, and turn the recording into figures.
import { poll } from '../test/support/until.mjs';
import { openSession } from './session.mjs';
import {
  classifyPainted,
  failoverEvents,
  longestGap,
  longestGapSpan,
  pixelFigures,
  sourceChanges,
  standbyCost,
  stateTrail,
  visibleFrameTimes,
  whepTimeline,
} from './measure.mjs';

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
 * @typedef {{ server: 'hls' | 'whep', stream: string, edge?: string }} SourceRef
 *           `edge`: HLS only, the CDN edge the URL goes through (the origin's first edge without)
 * @typedef {{ server: 'hls' | 'whep', stream: string, fault: string | Record<string, unknown>, edge?: string }} FaultRef
 *           `edge`: HLS only, the fault is that edge's delivery only
 *
 * @typedef {object} Scenario
 * @property {string} name
 * @property {string} title
 * @property {'failover' | 'switchback' | 'first-frame'} kind
 * @property {SourceRef | SourceRef[]} primary    one endpoint, or a ladder (endpoints of one stream, in order)
 * @property {SourceRef | SourceRef[]} [fallback]
 * @property {FaultRef} [fault]
 * @property {{ from: string, to: string }} [keys]  the endpoints (video data-key) the switch goes
 *           from and to, where colour cannot tell them apart (a ladder's endpoints are one
 *           stream): the primary must start on `from`, and the switch is `to`'s first frame
 * @property {'whep'} [timeline]     also record where the time of a WHEP → WHEP switch goes
 * @property {'warm'} [standby]
 * @property {boolean} baseline      also run the plain hls.js baseline page
 * @property {number} [steadyMs]     primary on screen this long before the fault
 * @property {{ metric: 'freezeMs' | 'firstFrameMs', max: number }} [target]   none: measured, not judged
 */

const hls = (/** @type {string} */ stream, /** @type {string | undefined} */ edge = undefined) =>
  /** @type {SourceRef} */ (edge ? { server: 'hls', stream, edge } : { server: 'hls', stream });
const whep = (/** @type {string} */ stream) => /** @type {SourceRef} */ ({ server: 'whep', stream });
/** @param {string | Record<string, unknown>} fault @param {string} [edge] */
const hlsFault = (fault, stream = 'primary', edge = undefined) =>
  /** @type {FaultRef} */ (edge ? { server: 'hls', stream, fault, edge } : { server: 'hls', stream, fault });
/** @param {string | Record<string, unknown>} fault */
const whepFault = (fault, stream = 'primary') => /** @type {FaultRef} */ ({ server: 'whep', stream, fault });

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    name: 'first-frame-hls',
    title: 'first frame, HLS',
    kind: 'first-frame',
    primary: hls('primary'),
    fallback: hls('fallback'),
    baseline: true,
    target: { metric: 'firstFrameMs', max: 1200 },
  },
  {
    name: 'first-frame-whep',
    title: 'first frame, WHEP',
    kind: 'first-frame',
    primary: whep('primary'),
    fallback: whep('fallback'),
    baseline: false,
    target: { metric: 'firstFrameMs', max: 800 },
  },
  {
    name: 'hls-404',
    title: 'HLS origin death (404)',
    kind: 'failover',
    primary: hls('primary'),
    fallback: hls('fallback'),
    fault: hlsFault('404'),
    baseline: true,
    target: { metric: 'freezeMs', max: 100 },
  },
  {
    name: 'hls-503',
    title: 'HLS 503',
    kind: 'failover',
    primary: hls('primary'),
    fallback: hls('fallback'),
    fault: hlsFault('503'),
    baseline: true,
    target: { metric: 'freezeMs', max: 100 },
  },
  {
    name: 'hls-refuse',
    title: 'HLS connection refused',
    kind: 'failover',
    primary: hls('primary'),
    fallback: hls('fallback'),
    fault: hlsFault('refuse'),
    baseline: true,
    target: { metric: 'freezeMs', max: 100 },
  },
  {
    name: 'hls-hang-segments',
    title: 'HLS hung segments',
    kind: 'failover',
    primary: hls('primary'),
    fallback: hls('fallback'),
    fault: hlsFault('hang-segments'),
    baseline: true,
    target: { metric: 'freezeMs', max: 300 },
  },
  {
    name: 'hls-freeze',
    title: 'HLS frozen playlist',
    kind: 'failover',
    primary: hls('primary'),
    fallback: hls('fallback'),
    fault: hlsFault('freeze'),
    baseline: true,
    target: { metric: 'freezeMs', max: 300 },
  },
  // HLS with a warm standby: what keeping the fallback loaded costs, and whether it helps.
  {
    name: 'hls-404-warm',
    title: 'HLS origin death (404), standby="warm"',
    kind: 'failover',
    primary: hls('primary'),
    fallback: hls('fallback'),
    fault: hlsFault('404'),
    standby: 'warm',
    baseline: false,
    target: { metric: 'freezeMs', max: 100 },
  },
  {
    name: 'hls-switch-back',
    title: 'HLS switch back (fallback dies)',
    kind: 'switchback',
    primary: hls('primary'),
    fallback: hls('fallback'),
    fault: hlsFault('404'),
    baseline: true,
    target: { metric: 'freezeMs', max: 100 },
  },
  // Publisher death with the server's `inactive` event (the WHEP server's default).
  {
    name: 'whep-whep',
    title: 'WHEP → WHEP, standby cold',
    kind: 'failover',
    primary: whep('primary'),
    fallback: whep('fallback'),
    fault: whepFault('publisher-gone'),
    baseline: false,
    steadyMs: 6000,
    timeline: 'whep',
    target: { metric: 'freezeMs', max: 1000 },
  },
  {
    name: 'whep-whep-warm',
    title: 'WHEP → WHEP, standby="warm"',
    kind: 'failover',
    primary: whep('primary'),
    fallback: whep('fallback'),
    fault: whepFault('publisher-gone'),
    standby: 'warm',
    baseline: false,
    steadyMs: 6000,
    target: { metric: 'freezeMs', max: 200 },
  },
  {
    name: 'whep-hls',
    title: 'WHEP → HLS',
    kind: 'failover',
    primary: whep('primary'),
    fallback: hls('fallback'),
    fault: whepFault('publisher-gone'),
    baseline: false,
    target: { metric: 'freezeMs', max: 1500 },
  },
  // Ladders: the switch stays within the primary stream (same colour), so it is told by the
  // endpoint's video. The HLS fallback stream is configured too, so the player has to choose
  // the stream's next endpoint over the other stream.
  // The WHEP server stops answering the primary's sessions (no media, no STUN: a dead WebRTC
  // server, not a dead publisher): the endpoint's own failure → the stream's HLS endpoint,
  // after the crowd spread (a random 0–3 s, on purpose).
  {
    name: 'ladder-whep-hls',
    title: 'ladder: WHEP → HLS of the same stream (WHEP server cut)',
    kind: 'failover',
    primary: [whep('primary'), hls('primary')],
    fallback: hls('fallback'),
    fault: whepFault('cut'),
    keys: { from: 'primary/0', to: 'primary/1' },
    baseline: false,
    steadyMs: 6000,
  },
  // One CDN edge of the primary 404s; the same stream through the other edge takes over.
  {
    name: 'ladder-cdn',
    title: 'ladder: CDN edge a 404 → edge b',
    kind: 'failover',
    primary: [hls('primary', 'a'), hls('primary', 'b')],
    fallback: hls('fallback'),
    fault: hlsFault('404', 'primary', 'a'),
    keys: { from: 'primary/0', to: 'primary/1' },
    baseline: false,
    target: { metric: 'freezeMs', max: 100 },
  },
];

/** A stream's endpoints as a list (one endpoint or a ladder). @param {SourceRef | SourceRef[] | undefined} refs */
export const endpointsOf = (refs) => (refs == null ? [] : Array.isArray(refs) ? refs : [refs]);
/** The colour of a stream (all of a ladder's endpoints are one stream). @param {SourceRef | SourceRef[]} refs */
const colourOf = (refs) => COLOUR[endpointsOf(refs)[0].stream];

/**
 * @typedef {object} BenchContext
 * @property {import('playwright-core').Browser} browser
 * @property {import('../test/servers/hls-origin.mjs').Origin} origin
 * @property {import('../test/servers/whep-server.mjs').WhepServer} whep
 * @property {string} staticUrl
 * @property {number} capMs     give up waiting for a switch this long after the fault
 */

const sleep = (/** @type {number} */ ms) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

/** @param {BenchContext} ctx @param {SourceRef} ref */
function urlOf(ctx, ref) {
  if (ref.server === 'whep') return ctx.whep.streams[ref.stream].url;
  if (!ref.edge) return ctx.origin.streams[ref.stream].url;
  const edge = /** @type {any} */ (ctx.origin.streams[ref.stream]).edges?.[ref.edge];
  if (!edge)
    throw new Error(
      `the HLS origin has no edge '${ref.edge}' for ${ref.stream} (needs the origin with CDN edges, branch origin-edges)`,
    );
  return edge.url;
}
/** The attribute value: one URL, or a ladder's URLs separated by spaces. @param {BenchContext} ctx @param {SourceRef | SourceRef[] | undefined} refs */
const attributeOf = (ctx, refs) =>
  refs == null
    ? undefined
    : endpointsOf(refs)
        .map((r) => urlOf(ctx, r))
        .join(' ');

/** @param {BenchContext} ctx @param {FaultRef} f @param {string | Record<string, unknown>} [fault] */
async function setFault(ctx, f, fault = f.fault) {
  if (f.server === 'hls' && f.edge) {
    await /** @type {any} */ (ctx.origin).setFault(f.stream, fault, { edge: f.edge });
    return;
  }
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
  if (![...endpointsOf(sc.primary), ...endpointsOf(sc.fallback)].some((r) => r.server === 'whep')) {
    for (const stream of Object.keys(ctx.whep.streams)) await ctx.whep.setFault(stream, { kind: 'publisher-gone', quiet: true });
    return;
  }
  const wereStopped = Object.keys(ctx.whep.streams).some((s) => !ctx.whep.stats(s).publisher);
  await ctx.whep.reset();
  const live = () =>
    Object.keys(ctx.whep.streams).every((s) => {
      const st = ctx.whep.stats(s);
      return st.publisher && Date.now() - st.lastPacketAt < 300;
    });
  await poll(async () => (live() ? true : null), 10000, 150);
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
  const from = colourOf(sc.primary);
  // A switch within the primary's ladder keeps its colour.
  const to = sc.keys
    ? colourOf(sc.keys.to.startsWith('fallback/') && sc.fallback ? sc.fallback : sc.primary)
    : sc.fallback
      ? colourOf(sc.fallback)
      : from;
  /** @type {Record<string, any>} */
  const marks = {};
  try {
    marks.startAt = Date.now();
    await session.start({
      primary: attributeOf(ctx, sc.primary),
      fallback: attributeOf(ctx, sc.fallback),
      poster: ctx.origin.posterUrl,
      standby: sc.standby,
    });
    // A ladder's scenario must start on its first endpoint: colour alone cannot tell.
    const startOn = sc.keys ? { colour: from, key: sc.keys.from } : from;
    marks.firstAt = await poll(() => session.firstVisible(startOn, 0), FIRST_FRAME_TIMEOUT_MS, 150);
    if (marks.firstAt == null)
      throw new Error(
        `the primary (${from}${sc.keys ? `, ${sc.keys.from}` : ''}) was never on screen within ${FIRST_FRAME_TIMEOUT_MS / 1000} s`,
      );
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
      const onFallback = await poll(() => session.firstVisible(to, t), t + ctx.capMs - Date.now(), 150);
      if (onFallback == null) return { capped: true, error: `the first switch did not happen within ${ctx.capMs / 1000} s` };
      await setFault(ctx, fault, 'none');
      steadyFrom = onFallback;
      measuredFault = { ...fault, stream: endpointsOf(sc.fallback)[0].stream };
      [fromColour, toColour] = [to, from];
    }
    await sleep((sc.steadyMs ?? DEFAULT_STEADY_MS) - (Date.now() - steadyFrom));
    marks.standbyTo = Date.now();
    marks.faultAt = Date.now();
    await setFault(ctx, measuredFault);
    if (sc.keys) {
      // Wait for the destination endpoint; stop early if another endpoint (not the one that
      // failed) comes on screen instead: that is the player's choice, reported as it is.
      const keys = sc.keys;
      const landed = await poll(
        async () => {
          const other = await session.firstVisibleFrame({ notKey: keys.from }, marks.faultAt);
          if (other && other.key !== keys.to) return other;
          return session.firstVisibleFrame({ key: keys.to, colour: toColour }, marks.faultAt);
        },
        marks.faultAt + ctx.capMs - Date.now(),
        150,
      );
      marks.landedOn = landed?.key ?? null;
      marks.switchAt = landed?.key === keys.to ? landed.t : null;
      marks.endAt = landed ? landed.t + AFTER_SWITCH_MS : marks.faultAt + ctx.capMs;
    } else {
      marks.switchAt = await poll(() => session.firstVisible(toColour, marks.faultAt), marks.faultAt + ctx.capMs - Date.now(), 150);
      marks.endAt = marks.switchAt != null ? marks.switchAt + AFTER_SWITCH_MS : marks.faultAt + ctx.capMs;
    }
    // What the WHEP server knows of the primary's end (its publisher's last RTP packet, the
    // SSE `inactive`), read before the next run's reset restarts the publisher.
    if (sc.timeline === 'whep') marks.server = ctx.whep.stats(measuredFault.stream);
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
    // Where that gap was, in ms since the fault (the `failover` event's freezeMs is only the
    // gap across the switch: last old frame → first new one).
    freezeSpan: longestGapSpan(visibleFrameTimes(snap), faultAt, endAt).map((t) => Math.round(t - faultAt)),
    freezeSkipped: skippedIn(snap, longestGapSpan(visibleFrameTimes(snap), faultAt, endAt)),
    faultToFrameMs: switchAt != null ? Math.round(switchAt - faultAt) : null,
    // Within one stream the colour does not change: the pixels are anchored on the page's own
    // first frame of the new endpoint, and cannot time the switch themselves.
    px: pixelFigures(shots, {
      faultAt,
      endAt,
      from: fromColour,
      to: toColour,
      ...(sc.keys && fromColour === toColour && switchAt != null ? { toNotBefore: switchAt } : {}),
    }),
    failover: failoverEvents(snap, faultAt),
    states: stateTrail(snap, faultAt),
    pageErrors: recorded.consoleErrors,
  };
  if (sc.keys) {
    // Where the player went (the expected endpoint, another one, or nowhere within the cap).
    result.ladder = {
      from: sc.keys.from,
      expected: sc.keys.to,
      landedOn: marks.landedOn ?? null,
      sources: sourceChanges(snap, faultAt),
      endSource: snap.source ?? null,
      sinceFault: ladderMarks(snap, faultAt, sc.keys),
    };
    if (marks.landedOn && marks.landedOn !== sc.keys.to) result.error = `switched to ${marks.landedOn}, not ${sc.keys.to}`;
  }
  if (sc.timeline === 'whep' && switchAt != null) {
    const toRef = endpointsOf(sc.fallback)[0];
    result.timeline = whepTimeline({
      snap,
      faultAt,
      switchAt,
      fromColour,
      toUrl: urlOf(ctx, toRef),
      toKey: 'fallback/0',
      server: marks.server ?? null,
    });
  }
  if (sc.kind === 'failover' && sc.fallback) {
    const standby = endpointsOf(sc.fallback)[0];
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
        sessions:
          standby.server === 'whep' ? ctx.whep.sessions({ stream: standby.stream }).filter((s) => s.createdAt >= marks.startAt) : [],
        timeOrigin: snap.timeOrigin,
      }),
    };
  }
  return result;
}

/**
 * A switch within a ladder, in ms since the fault: the old endpoint's last frame on screen, when
 * the new one started (`failover` switchStartedAt: warming on a suspicion, after the spread),
 * its first frame in its hidden video (ready), the player's decision (`failover` detectedAt) and
 * the new endpoint's first frame on screen. Decision − max(ready, failure) is what the player
 * held back on purpose (the crowd spread).
 * @param {any} snap @param {number} faultAt @param {{ from: string, to: string }} keys
 */
function ladderMarks(snap, faultAt, keys) {
  const since = (/** @type {number | null | undefined} */ t) =>
    typeof t === 'number' ? Math.round(snap.timeOrigin + t - faultAt) : null;
  const fault = faultAt - snap.timeOrigin;
  const toFrames = snap.frames.filter((/** @type {any} */ f) => f.key === keys.to && f.t >= fault);
  const fromFrames = snap.frames.filter(
    (/** @type {any} */ f) =>
      f.key === keys.from && f.visible && f.t < (toFrames.find((/** @type {any} */ f) => f.visible)?.t ?? Infinity),
  );
  const fo = snap.events.find(
    (/** @type {any} */ e) =>
      e.type === 'failover' &&
      e.t >= fault &&
      e.detail?.toSource &&
      `${e.detail.toSource.stream}/${e.detail.toSource.index}` === keys.to,
  )?.detail;
  return {
    lastFrame: since(fromFrames.at(-1)?.t),
    started: since(fo?.switchStartedAt),
    ready: since(toFrames[0]?.t),
    decided: since(fo?.detectedAt),
    onScreen: since(toFrames.find((/** @type {any} */ f) => f.visible)?.t),
  };
}

/**
 * Frames the video presented inside a gap of the log without a callback for them (its
 * presentedFrames counter moved by more than one): > 0 means the gap was the page's main
 * thread, not the picture. Null when the gap's two frames are not of one video (or of one source).
 * @param {any} snap @param {[number, number]} span epoch
 */
function skippedIn(snap, [a, b]) {
  const at = (/** @type {number} */ t) =>
    snap.frames.find((/** @type {any} */ f) => f.visible && Math.abs(snap.timeOrigin + f.t - t) < 0.5);
  const [fa, fb] = [at(a), at(b)];
  if (!fa || !fb || fa.key !== fb.key || typeof fa.n !== 'number' || typeof fb.n !== 'number') return null;
  // The counter starts over with a new source in the same video (the baseline's switch).
  return fb.n > fa.n ? fb.n - fa.n - 1 : null;
}
