// Figures of one run, computed in Node from what the session recorded (pure functions, no I/O
// except decoding PNGs). All times here are epoch ms; page times are converted with the
// page's timeOrigin.
//   freeze          longest gap between frames presented by the visible video, from the last
//                   frame before the fault until 5 s after the switch (or the cap)
//   pixels          the same window judged from the painted screencast frames
//   standby         what the standby source cost while the primary played
import { PNG } from 'pngjs';
import { classifyPatch, STREAM_COLOURS } from './colour.mjs';

/** @param {number} x */
const round = (x) => Math.round(x);

/**
 * Longest gap between sorted times, starting at the last time before `from` (or `from`) and
 * ending at `to`, counting only times up to `to`.
 * @param {number[]} times sorted
 * @param {number} from
 * @param {number} to
 */
export function longestGap(times, from, to) {
  let previous = from;
  for (const t of times) if (t < from) previous = t;
  let longest = 0;
  for (const t of times) {
    if (t < from || t > to) continue;
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return Math.max(longest, to - previous);
}

/**
 * Where longestGap() found its gap: [start, end] (same arguments, same rule).
 * @param {number[]} times sorted @param {number} from @param {number} to
 * @returns {[number, number]}
 */
export function longestGapSpan(times, from, to) {
  let previous = from;
  for (const t of times) if (t < from) previous = t;
  /** @type {[number, number]} */
  let span = [previous, previous];
  for (const t of times) {
    if (t < from || t > to) continue;
    if (t - previous > span[1] - span[0]) span = [previous, t];
    previous = t;
  }
  return to - previous > span[1] - span[0] ? [previous, to] : span;
}

/**
 * Frames presented on screen (visible video), as epoch ms, sorted.
 * @param {any} snap
 */
export function visibleFrameTimes(snap) {
  return snap.frames
    .filter((/** @type {any} */ f) => f.visible)
    .map((/** @type {any} */ f) => snap.timeOrigin + f.t)
    .sort((a, b) => a - b);
}

/**
 * Classifies painted frames (centre patch of the viewport = centre of the player).
 * @param {import('./session.mjs').PaintedFrame[]} painted
 * @param {number} from @param {number} to
 * @returns {{ t: number, colour: string }[]}
 */
export function classifyPainted(painted, from, to) {
  return painted
    .filter((p) => p.t >= from && p.t <= to)
    .map((p) => {
      const png = PNG.sync.read(p.png);
      return { t: p.t, colour: classifyPatch(png.data, png.width, png.height) };
    })
    .sort((a, b) => a.t - b.t);
}

/**
 * What the painted frames say about a switch from one colour to another.
 * `toNotBefore` (epoch): a switch between two endpoints of one stream keeps its colour, so the
 * new picture is the first paint of `to` from then on (the page's first frame of the new
 * endpoint); the pixels cannot time such a switch (switchMs is null), only what was painted
 * between the old picture and the new one.
 * @param {{ t: number, colour: string }[]} shots   classified, sorted
 * @param {{ faultAt: number, endAt: number, from: string, to: string, toNotBefore?: number }} w
 */
export function pixelFigures(shots, { faultAt, endAt, from, to, toNotBefore }) {
  const isStream = (/** @type {string} */ c) => /** @type {readonly string[]} */ (STREAM_COLOURS).includes(c);
  const firstTo = shots.find((s) => s.t >= (toNotBefore ?? faultAt) && s.colour === to) ?? null;
  const lastFrom = [...shots].reverse().find((s) => s.colour === from && (!firstTo || s.t < firstTo.t)) ?? null;
  const between = shots.filter((s) => lastFrom && firstTo && s.t > lastFrom.t && s.t < firstTo.t);
  const count = (/** @type {string} */ c) => between.filter((s) => s.colour === c).length;

  // Longest stretch with something other than a stream on screen: first non-stream paint to
  // the next stream paint (or the end of the window).
  let longestNonStream = 0;
  /** @type {number | null} */
  let since = null;
  for (const s of shots) {
    if (s.t < faultAt) continue;
    if (!isStream(s.colour)) since ??= s.t;
    else if (since != null) {
      longestNonStream = Math.max(longestNonStream, s.t - since);
      since = null;
    }
  }
  if (since != null) longestNonStream = Math.max(longestNonStream, endAt - since);

  return {
    switchMs: firstTo && toNotBefore == null ? round(firstTo.t - faultAt) : null,
    blackFrames: count('black'),
    posterFrames: count('poster'),
    otherFrames: count('other'),
    longestNonStreamMs: round(longestNonStream),
    // Screencast sends a frame per compositor update, so a frozen picture shows up as a gap.
    freezeMs: round(
      longestGap(
        shots.filter((s) => isStream(s.colour)).map((s) => s.t),
        faultAt,
        endAt,
      ),
    ),
    painted: shots.filter((s) => s.t >= faultAt).length,
  };
}

/**
 * Per-minute cost of the standby source over a window while the primary played.
 * @param {object} input
 * @param {{ from: number, to: number }} input.window
 * @param {'hls' | 'whep'} input.kind
 * @param {string} input.url                       the standby source's URL
 * @param {{ t: number }[]} input.serverLog         the standby stream's server log entries
 * @param {import('./session.mjs').NetRequest[]} input.requests  CDP requests of the page
 * @param {any[]} input.rtc                         the page's peer connections (rtc-tap)
 * @param {any[]} [input.sessions]                  WHEP server sessions of the standby stream
 * @param {number} input.timeOrigin
 */
export function standbyCost({ window: { from, to }, kind, url, serverLog, requests, rtc, sessions = [], timeOrigin }) {
  const minutes = (to - from) / 60000;
  const inWindow = (/** @type {number} */ t) => t >= from && t < to;
  const serverRequests = serverLog.filter((e) => inWindow(e.t)).length;
  let bytes = 0;
  if (kind === 'hls') {
    const base = new URL(url).origin;
    bytes = requests.filter((r) => r.url.startsWith(base) && inWindow(r.t)).reduce((sum, r) => sum + r.bytes, 0);
  } else {
    for (const pc of rtc.filter((p) => p.url === url)) {
      const at = (/** @type {number} */ t) => {
        let b = 0;
        for (const s of pc.samples) if (timeOrigin + s.t <= t) b = s.bytes;
        return b;
      };
      bytes += at(to) - at(from);
    }
  }
  const sessionsOpen = sessions.filter((s) => s.createdAt < to && (s.closedAt == null || s.closedAt > from)).length;
  return {
    windowMs: round(to - from),
    requestsPerMin: round(serverRequests / minutes),
    kbPerMin: round(bytes / 1024 / minutes),
    ...(kind === 'whep' ? { sessionsOpen } : {}),
  };
}

/**
 * The element's `failover` events (if it fires any), with times made relative to the fault.
 * @param {any} snap @param {number} faultAt epoch
 */
export function failoverEvents(snap, faultAt) {
  const rel = (/** @type {unknown} */ t) => (typeof t === 'number' ? round(snap.timeOrigin + t - faultAt) : null);
  return snap.events
    .filter((/** @type {any} */ e) => e.type === 'failover')
    .map((/** @type {any} */ e) => ({
      ...e.detail,
      sinceFault: {
        detected: rel(e.detail?.detectedAt),
        switchStarted: rel(e.detail?.switchStartedAt),
        firstFrame: rel(e.detail?.firstFrameAt),
      },
    }));
}

/** State changes as [ms since `zero`, state, reason] for the record. @param {any} snap @param {number} zero */
export function stateTrail(snap, zero) {
  return snap.events
    .filter((/** @type {any} */ e) => e.type === 'statechange' || e.type === 'switch' || e.type === 'fatal')
    .map((/** @type {any} */ e) => [
      round(snap.timeOrigin + e.t - zero),
      e.detail?.state ?? e.type,
      e.detail?.reason ?? e.detail?.details ?? null,
    ]);
}

/** The element's `sourcechange` events since `zero`: [ms since zero, endpoint key or null, reason]. @param {any} snap @param {number} zero */
export function sourceChanges(snap, zero) {
  const keyOf = (/** @type {any} */ source) => (source ? `${source.stream}/${source.index}` : null);
  return snap.events
    .filter((/** @type {any} */ e) => e.type === 'sourcechange' && snap.timeOrigin + e.t >= zero)
    .map((/** @type {any} */ e) => [round(snap.timeOrigin + e.t - zero), keyOf(e.detail?.source), e.detail?.reason ?? null]);
}

/**
 * Where the time of a WHEP → WHEP switch goes, from timestamps (epoch ms; page times converted
 * with the page's timeOrigin):
 *   lastPacket     the WHEP server got the primary publisher's last RTP packet (stats().lastPacketAt)
 *   inactive       the server wrote SSE `inactive` to the primary's session(s)
 *   lastFrame      the primary's last frame on screen before the switch
 *   detected       the player decided to leave the primary (`failover` detectedAt)
 *   warmStart      the fallback's engine started (`failover` switchStartedAt; earlier than
 *                  detected when a suspicion warmed it)
 *   pcCreated      its RTCPeerConnection was created
 *   postSent       its offer POSTed (after ICE gathering: no trickle)
 *   answered       the 201 with the answer
 *   iceConnected   iceConnectionState `connected` (or `completed`)
 *   connected      connectionState `connected` (DTLS done)
 *   keyframeRx     the first decoded frame's last packet received (rVFC receiveTime)
 *   decoded        its first decoded frame: the earlier of getStats framesDecoded > 0 (polled
 *                  every 20 ms) and its first frame presented in the hidden video (rVFC)
 *   onScreen       the fallback's first frame on screen
 *   probePostSent, probeAnswered   the first probe of the fallback after the fault (POST, 201)
 * and the steps between them. Null where a mark is missing.
 * @param {object} input
 * @param {any} input.snap
 * @param {number} input.faultAt
 * @param {number} input.switchAt     the fallback's first frame on screen (epoch)
 * @param {string} input.fromColour
 * @param {string} input.toUrl        the fallback's WHEP endpoint
 * @param {string} input.toKey        its video's data-key
 * @param {{ lastPacketAt: number, inactiveSentAt: number } | null} input.server  the primary's, read after the switch
 */
export function whepTimeline({ snap, faultAt, switchAt, fromColour, toUrl, toKey, server }) {
  const epoch = (/** @type {number | null | undefined} */ t) => (typeof t === 'number' ? snap.timeOrigin + t : null);
  const lastFrame = snap.frames
    .filter((/** @type {any} */ f) => f.visible && f.colour === fromColour && snap.timeOrigin + f.t < switchAt)
    .reduce((/** @type {number | null} */ max, /** @type {any} */ f) => Math.max(max ?? -Infinity, snap.timeOrigin + f.t), null);
  const fo =
    snap.events.filter((/** @type {any} */ e) => e.type === 'failover' && snap.timeOrigin + e.t >= faultAt).at(0)?.detail ?? null;
  // The fallback's playing session: the last one to its endpoint that decoded a frame before
  // the switch (probes POST and DELETE at once, they never connect).
  const pc =
    (snap.rtc ?? [])
      .filter((/** @type {any} */ p) => p.url === toUrl && p.firstDecodedAt != null && epoch(p.createdAt) <= switchAt)
      .at(-1) ?? null;
  // The probe of the fallback the player sends beside it (its 201 is the proof the machine switches on).
  const probes = (snap.rtc ?? []).filter(
    (/** @type {any} */ p) => p.url === toUrl && /** @type {number} */ (epoch(p.createdAt)) >= faultAt && p !== pc,
  );
  const firstState = (/** @type {{ t: number, state: string }[] | undefined} */ list, /** @type {string[]} */ states) =>
    epoch(list?.find((s) => states.includes(s.state))?.t);
  const firstFrame = snap.frames.find((/** @type {any} */ f) => f.key === toKey && pc && f.t >= pc.createdAt) ?? null;
  const decodedCandidates = [epoch(pc?.firstDecodedAt), epoch(firstFrame?.t)].filter((t) => t != null);
  const marks = {
    lastPacket: server?.lastPacketAt && server.lastPacketAt >= faultAt - 1000 ? server.lastPacketAt : null,
    inactive: server?.inactiveSentAt && server.inactiveSentAt >= faultAt ? server.inactiveSentAt : null,
    lastFrame,
    detected: epoch(fo?.detectedAt),
    warmStart: epoch(fo?.switchStartedAt),
    pcCreated: epoch(pc?.createdAt),
    postSent: epoch(pc?.post?.sentAt),
    answered: epoch(pc?.post?.answeredAt),
    iceConnected: firstState(pc?.ice, ['connected', 'completed']),
    connected: firstState(pc?.connection, ['connected']),
    keyframeRx: epoch(firstFrame?.rx),
    decoded: decodedCandidates.length ? Math.min(.../** @type {number[]} */ (decodedCandidates)) : null,
    onScreen: switchAt,
    probePostSent: epoch(probes[0]?.post?.sentAt),
    probeAnswered: epoch(probes[0]?.post?.answeredAt),
  };
  const span = (/** @type {number | null} */ a, /** @type {number | null} */ b) => (a == null || b == null ? null : round(b - a));
  return {
    // Each mark in ms since the fault.
    sinceFault: Object.fromEntries(Object.entries(marks).map(([k, t]) => [k, span(faultAt, t)])),
    steps: {
      detection: span(marks.lastFrame, marks.warmStart),
      offer: span(marks.warmStart, marks.postSent),
      post: span(marks.postSent, marks.answered),
      ice: span(marks.answered, marks.iceConnected),
      dtls: span(marks.iceConnected, marks.connected),
      keyframeWait: span(marks.connected, marks.decoded),
      render: span(marks.decoded, marks.onScreen),
      total: span(marks.lastFrame, marks.onScreen),
    },
    server: {
      faultToLastPacket: span(faultAt, marks.lastPacket),
      lastPacketToInactive: span(marks.lastPacket, marks.inactive),
      inactiveToDetected: span(marks.inactive, marks.detected),
      lastPacketToLastFrame: span(marks.lastPacket, marks.lastFrame),
    },
    decodedBy:
      pc?.firstDecodedAt != null && firstFrame && epoch(firstFrame.t) < /** @type {number} */ (epoch(pc.firstDecodedAt))
        ? 'rVFC'
        : 'getStats',
    pollGapMs: pc?.firstDecodedAt != null && pc?.lastZeroAt != null ? round(pc.firstDecodedAt - pc.lastZeroAt) : null,
    probesAfterFault: probes.length,
    failoverEventFreezeMs: fo?.freezeMs ?? null,
  };
}
