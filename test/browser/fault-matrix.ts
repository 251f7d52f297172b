/**
 * The fault matrix: every HLS and every WHEP fault injected on the primary, on the fallback
 * and on both, each with its expected end state, in a real browser against the real local HLS
 * origin and WHEP server; outcomes read from `player.state` and from real screenshots.
 *
 * Expected end states (README, Behaviour): a failed primary → the fallback (if live); a failed
 * fallback while on it → the primary (if live); both failed → prelive; a deliberate stop of the
 * primary (`#EXT-X-ENDLIST`, WHEP `stop`) → stopped from any state, while an ended fallback only
 * counts as a failed fallback; a slow source that keeps up → no switch.
 *
 * Starting situations: fault on the primary — playing the primary, fallback live; fault on the
 * fallback — playing the fallback with the primary live again (the player starts with the
 * primary down, then the primary is revived); both — playing the primary, both injected;
 * endpoint — the primary is a ladder of two endpoints of one stream (HLS: the same stream on
 * CDN A and CDN B; WHEP: the WebRTC endpoint, then the stream's HLS) and the fault hits the
 * first one only (an encoder fault, freeze or ENDLIST, is the stream's and reaches both CDNs):
 * an endpoint's own fault → the same stream's next endpoint (state `primary`), the stream's own
 * (frozen playlist, publisher gone) → the fallback stream.
 * A fault that no server answers at all (connections refused, CORS) on both streams is the
 * viewer's network as far as the browser can tell: the player holds (state `primary`, its
 * last picture, `data-offline`), it does not fail over nor go to prelive.
 *
 * HLS faults run HLS ↔ HLS, WHEP faults WHEP ↔ WHEP. WHEP faults that only refuse *new*
 * sessions (POST 404/503/409, ICE failure, no answer at all) leave an established session
 * untouched, so they are injected as "the source's server is lost": the established session's
 * network is cut first (`cut`), then the fault governs every new session (probes, warm-up,
 * switch). Both sources broken where their probes cannot see it: see `RETRIES_IN_PRELIVE`.
 *
 * Two files run it: fault-matrix-hls.test.ts (every engine) and fault-matrix-whep.test.ts
 * (engines with WebRTC).
 */
import { expect } from '@open-wc/testing';
import type { LivePlayer } from '../../src/live-player.js';
import type { HealthThresholds } from '../../src/policy/thresholds.js';
import {
  expectSteady,
  type FaultKind,
  mountPlayer,
  origin,
  poll,
  recordFigure,
  recordStates,
  type Seen,
  seen,
  setFault,
  setWhepFault,
  sleep,
  unmountAll,
  useFreshServers,
  waitForNoWhepSessions,
  waitForSeen,
  waitForState,
  whep,
  type WhepFaultKind,
} from './helpers.js';

type Placement = 'primary' | 'fallback' | 'both' | 'endpoint';
type EndState = 'primary' | 'fallback' | 'prelive' | 'stopped';
/** How a fault class ends, per placement (README's rules). */
type Outcome = 'fails' | 'ends' | 'keeps-up';

/** Whose fault it is on a ladder: one endpoint's (a server, a CDN) or the stream's (its encoder or publisher). */
type Scope = 'endpoint' | 'stream';

interface HlsFault {
  protocol: 'hls';
  name: string;
  kind: FaultKind;
  extra?: Record<string, number>;
  outcome: Outcome;
  scope: Scope;
  /** No server answers at all: on both streams, the viewer's network as far as the browser can tell. */
  networkLevel?: boolean;
}
interface WhepFault {
  protocol: 'whep';
  name: string;
  /** Faults applied in order to the stream (a `cut` of the established session first). */
  steps: { kind: WhepFaultKind; extra?: Record<string, number> }[];
  outcome: Outcome;
  scope: Scope;
  networkLevel?: boolean;
}
type Fault = HlsFault | WhepFault;

/**
 * `slow-segments` at 400 ms: every init and segment response starts 0.4 s late, 40 % of the
 * 1 s segment duration and a fifth of the 2 s request deadline, so one segment still loads in
 * well under its own duration and the buffer never drains: the source keeps up, no switch.
 */
const SLOW_SEGMENT_MS = 400;

const HLS_FAULTS: HlsFault[] = [
  { protocol: 'hls', name: '404', kind: '404', outcome: 'fails', scope: 'endpoint' },
  { protocol: 'hls', name: '503', kind: '503', outcome: 'fails', scope: 'endpoint' },
  { protocol: 'hls', name: 'refused', kind: 'refuse', outcome: 'fails', scope: 'endpoint', networkLevel: true },
  { protocol: 'hls', name: 'hanging playlist', kind: 'hang-playlist', outcome: 'fails', scope: 'endpoint' },
  { protocol: 'hls', name: 'hanging segments', kind: 'hang-segments', outcome: 'fails', scope: 'endpoint' },
  {
    protocol: 'hls',
    name: `slow segments (${SLOW_SEGMENT_MS} ms)`,
    kind: 'slow-segments',
    extra: { ms: SLOW_SEGMENT_MS },
    outcome: 'keeps-up',
    scope: 'endpoint',
  },
  { protocol: 'hls', name: 'frozen playlist', kind: 'freeze', outcome: 'fails', scope: 'stream' },
  { protocol: 'hls', name: 'ENDLIST', kind: 'endlist', outcome: 'ends', scope: 'stream' },
  { protocol: 'hls', name: 'corrupt segments', kind: 'corrupt', outcome: 'fails', scope: 'endpoint' },
  { protocol: 'hls', name: 'CORS failure', kind: 'cors', outcome: 'fails', scope: 'endpoint', networkLevel: true },
];

const cutThen = (kind: WhepFaultKind, extra?: Record<string, number>) => [{ kind: 'cut' as const }, { kind, extra }];

const WHEP_FAULTS: WhepFault[] = [
  { protocol: 'whep', name: 'POST 404', steps: cutThen('post-404'), outcome: 'fails', scope: 'endpoint' },
  { protocol: 'whep', name: 'POST 503', steps: cutThen('post-503', { retryAfter: 1 }), outcome: 'fails', scope: 'endpoint' },
  { protocol: 'whep', name: 'POST 409', steps: cutThen('post-409', { retryAfter: 1 }), outcome: 'fails', scope: 'endpoint' },
  { protocol: 'whep', name: 'server gone', steps: cutThen('hang'), outcome: 'fails', scope: 'endpoint' },
  { protocol: 'whep', name: 'ICE failure', steps: cutThen('ice-fail'), outcome: 'fails', scope: 'endpoint' },
  { protocol: 'whep', name: 'publisher gone', steps: [{ kind: 'publisher-gone' }], outcome: 'fails', scope: 'stream' },
  { protocol: 'whep', name: 'deliberate stop', steps: [{ kind: 'stop' }], outcome: 'ends', scope: 'stream' },
];

/** Where a case ends: the state, and on a ladder which endpoint of the primary plays (its index). */
interface End {
  state: EndState;
  endpoint?: number;
  /** Held for the viewer's network: `data-offline`, the last picture. */
  held?: boolean;
}

function expectedEnd(fault: Fault, placement: Placement): End {
  const { outcome } = fault;
  if (placement === 'endpoint') {
    if (outcome === 'keeps-up') return { state: 'primary', endpoint: 0 };
    if (outcome === 'ends') return { state: 'stopped' };
    return fault.scope === 'endpoint' ? { state: 'primary', endpoint: 1 } : { state: 'fallback' };
  }
  if (outcome === 'keeps-up') return { state: placement === 'fallback' ? 'fallback' : 'primary' };
  if (outcome === 'ends') return { state: placement === 'fallback' ? 'primary' : 'stopped' };
  if (placement === 'both' && fault.networkLevel) return { state: 'primary', held: true };
  return { state: ({ primary: 'fallback', fallback: 'primary', both: 'prelive' } as const)[placement] };
}

const SCREEN: Record<EndState, Seen> = { primary: 'red', fallback: 'blue', prelive: 'poster', stopped: 'poster' };

/**
 * Both sources broken in a way their probes cannot see (the playlist loads but segments hang
 * or are corrupt; a WHEP POST gets `201` but ICE never connects): the player cannot know
 * without trying. It does not ping-pong between them: a source that failed counts as failed
 * recently until it proves healthy, so the second failure goes to prelive, whose backoff then
 * retries with growing delays. Each retry enters `primary` (poster and spinner, no picture)
 * until it fails again; so these cases assert that prelive is reached and that no broken
 * picture is ever shown, not that prelive is steady. With hanging segments the fallback's
 * watcher sees the primary's playlist advance (a playlist cannot show hung segments), which
 * counts as healthy: one bounce back to the primary before prelive.
 */
const RETRIES_IN_PRELIVE = new Set(['hls hanging segments @ both', 'hls corrupt segments @ both', 'whep ICE failure @ both']);

/**
 * Thresholds changed for this file, to keep it within its time budget:
 * - WHEP `whepStartupTimeoutMs` 5000 → 3000: an ICE-failure session never connects (Chromium
 *   itself would take ~15 s to call it failed); a healthy loopback session shows its first
 *   frame within ~1 s (1 s GOP), so 3 s still leaves a wide margin.
 * - WHEP `assumedTargetDurationMs` 6000 → 1000: WHEP has no target duration, so the POST
 *   deadline is 2 × the assumed one (12 s by default); 2 s is plenty on loopback and makes
 *   the unanswered POST of "server gone" fail in 2 s instead of 12.
 * HLS runs with the defaults (its limits scale with the streams' 1 s target duration).
 */
const WHEP_THRESHOLDS: Partial<HealthThresholds> = { whepStartupTimeoutMs: 3000, assumedTargetDurationMs: 1000 };

/**
 * Generous limits: the slowest single detection is ~3 s (hung segments). A hanging playlist on
 * both takes longest: the primary fails in ~2.6 s, then the fallback's probe waits out its
 * first playlist request for 12 s (the probe's deadline before it knows the target duration:
 * 2 × `assumedTargetDurationMs`), ~14.5 s in all; it gets 30 s.
 */
const END_STATE_LIMIT_MS = 20000;
const SLOW_END_STATE_LIMIT_MS: Record<string, number> = {
  'hls hanging playlist @ both': 30000,
  // Primary fails (~3 s), the fallback never shows a picture (10 s startup limit), one bounce
  // back to the primary (10 s again), then prelive: ~23 s.
  'hls hanging segments @ both': 40000,
};
const START_LIMIT_MS = 20000;
/** How long a "no switch" case watches, after the fault, for a switch that must not come. */
const KEEPS_UP_WATCH_MS = 5000;

/** On `edge` only when given (a delivery fault of one CDN); an encoder fault reaches every CDN. */
async function inject(fault: Fault, stream: 'primary' | 'fallback', edge?: 'a') {
  if (fault.protocol === 'whep') {
    for (const step of fault.steps) await setWhepFault(stream, step.kind, step.extra);
  } else {
    const encoder = fault.kind === 'freeze' || fault.kind === 'endlist';
    await setFault(stream, fault.kind, { ...fault.extra, ...(edge && !encoder ? { edge } : {}) });
  }
}

/** Mounts the player and brings it to the starting situation of the placement. */
async function startFor(fault: Fault, placement: Placement): Promise<LivePlayer> {
  const hls = fault.protocol === 'hls';
  const [{ streams: hlsStreams, edges, posterUrl }, { streams: whepStreams }] = await Promise.all([origin(), whep()]);
  const streams = hls ? hlsStreams : whepStreams;
  const primaryDown = () => (hls ? setFault('primary', '404') : setWhepFault('primary', 'post-404'));
  const primaryUp = () => (hls ? setFault('primary', 'none') : setWhepFault('primary', 'none'));

  if (placement === 'fallback') await primaryDown();
  // On the endpoint axis the primary is a ladder: HLS on CDN A then CDN B; WHEP then the stream's HLS.
  const ladder = hls ? `${edges.primary.a} ${edges.primary.b}` : `${whepStreams.primary} ${hlsStreams.primary}`;
  const player = await mountPlayer(
    { primary: placement === 'endpoint' ? ladder : streams.primary, fallback: streams.fallback, poster: posterUrl, muted: true },
    hls ? {} : { thresholds: WHEP_THRESHOLDS },
  );
  const start: EndState = placement === 'fallback' ? 'fallback' : 'primary';
  await waitForState(player, start, START_LIMIT_MS);
  await waitForSeen(SCREEN[start], START_LIMIT_MS);
  if (placement === 'fallback') await primaryUp();
  await sleep(1000); // a steady buffer (and, on the fallback, a primary that is live again)
  expect(player.state, 'the starting situation').to.equal(start);
  return player;
}

const ON = { primary: 'on the primary', fallback: 'on the fallback', both: 'on both', endpoint: "on the primary's first endpoint" };

function runCase(fault: Fault, placement: Placement) {
  const key = `${fault.protocol} ${fault.name} @ ${placement}`;
  const expected = expectedEnd(fault, placement);
  const end = expected.state;
  const retries = RETRIES_IN_PRELIVE.has(key);
  const limit = SLOW_END_STATE_LIMIT_MS[key] ?? END_STATE_LIMIT_MS;
  const where = expected.endpoint !== undefined ? ` #${expected.endpoint + 1}` : expected.held ? ', held (offline)' : '';
  const title = `${fault.name} ${ON[placement]} → ${end}${where} (${SCREEN[end]})${retries ? ', retrying without a broken picture' : ''}`;

  it(title, async () => {
    const player = await startFor(fault, placement);
    const states = recordStates(player);
    const before = states.length;
    const faultAt = performance.now();
    const streams: ('primary' | 'fallback')[] =
      placement === 'both' ? ['primary', 'fallback'] : placement === 'endpoint' ? ['primary'] : [placement];
    await Promise.all(streams.map((stream) => inject(fault, stream, placement === 'endpoint' ? 'a' : undefined)));

    let endMs: number;
    if (expected.endpoint === 1 || expected.held) {
      // Within the primary stream (its next endpoint), or held for the viewer's network: no state change.
      const reached = () => (expected.held ? player.hasAttribute('data-offline') : player.source?.index === 1);
      await poll(reached, limit, 100);
      const path = states
        .slice(before)
        .map((c) => `${c.state} (${c.cause ?? c.reason})`)
        .join(' → ');
      expect(
        reached(),
        `${expected.held ? 'held offline' : 'on the next endpoint'} within ${limit} ms; source ${JSON.stringify(player.source)}; went ${path || 'nowhere'}`,
      ).to.equal(true);
      expect(path, 'the state stays primary').to.equal('');
      endMs = Math.round(performance.now() - faultAt);
    } else if (fault.outcome === 'keeps-up') {
      await sleep(KEEPS_UP_WATCH_MS);
      endMs = 0;
      expect(
        states.slice(before).map((c) => `${c.state} (${c.reason}: ${c.cause})`),
        'no switch',
      ).to.deep.equal([]);
    } else {
      await waitForState(player, end, limit).catch(async (error: Error) => {
        const path = states
          .slice(before)
          .map((c) => `${c.state} (${c.cause ?? c.reason})`)
          .join(' → ');
        const screen = await seen();
        throw new Error(`${error.message}; went ${path || 'nowhere'}; on screen: ${screen}`);
      });
      endMs = Math.round(performance.now() - faultAt);
    }
    const seenMs = Math.round(await waitForSeen(SCREEN[end], limit));
    if (expected.endpoint !== undefined) expect(player.source?.index, 'the endpoint on screen').to.equal(expected.endpoint);
    if (retries) {
      // Backoff retries may enter `primary` for a while, but never with a broken picture.
      const watchUntil = performance.now() + 4000;
      while (performance.now() < watchUntil) expect(await seen(), 'only the poster while nothing plays').to.equal('poster');
    } else {
      await expectSteady(SCREEN[end], 3);
      expect(player.state, 'still the end state after a steady look').to.equal(end);
    }

    const path = states.slice(before).map((c) => c.state);
    const last = states.length > before ? states.at(-1) : undefined;
    await recordFigure({
      figure: 'fault-matrix',
      protocol: fault.protocol,
      fault: fault.name,
      placement,
      end: player.state,
      endpoint: player.source?.index,
      held: player.hasAttribute('data-offline'),
      path: path.join(' → '),
      endMs,
      seenAfterEndMs: seenMs,
      cause: last?.cause,
    });

    unmountAll();
    if (fault.protocol === 'whep') await waitForNoWhepSessions(5000);
  });
}

/** The matrix for one protocol's faults: each on the primary, the fallback, both and one endpoint. */
export function describeMatrix(protocol: Fault['protocol']) {
  describe(`fault matrix, ${protocol.toUpperCase()}`, function () {
    this.timeout(60000);
    useFreshServers({ whepSessions: 'settled' }); // closed sessions are asserted in the WHEP cases themselves

    for (const fault of protocol === 'hls' ? HLS_FAULTS : WHEP_FAULTS) {
      describe(`${fault.protocol.toUpperCase()} ${fault.name}`, () => {
        for (const placement of ['primary', 'fallback', 'both', 'endpoint'] as const) runCase(fault, placement);
      });
    }
  });
}
