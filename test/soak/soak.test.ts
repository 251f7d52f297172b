/**
 * Chaos soak (issue 6, "never stuck, never leaking"): two real players on one page, real
 * servers, random faults and recoveries on all four streams for SOAK_MINUTES (default 2; set
 * by `npm run soak -- --minutes N`), seeded (SOAK_SEED replays a run; the seed is printed).
 *
 * Players (each owns its two streams, so a fault touches one player only):
 *   A: HLS primary (origin `primary`, red) + WHEP fallback (WHEP `fallback`, blue)
 *   B: WHEP primary (WHEP `primary`, red, with its `primary-status` endpoint) + HLS fallback
 *      (origin `fallback`, blue)
 * Default thresholds, cold standby. The schedule: chaos phases (~25 s: a fault, a recovery, or
 * both of one player's streams down, every 1–4 s), each followed by a quiet point (every
 * stream healthy, both players reloaded and settled on their primaries); a deliberate stop of
 * each player's primary in the first phase and at random later (HLS `#EXT-X-ENDLIST`, WHEP
 * `stop`), after which the player is checked and restarted (fault cleared, `reload()`).
 *
 * INVARIANTS (sampled every ~300 ms: one screenshot read at both players, and their states;
 * checked at the end, every violation listed in one report):
 *
 * 1. Picture. A stream is "live" from the moment the control call that set its fault to
 *    `none` (or 400 ms slow segments, which keep up) returned, until the next control call on
 *    it began. "Picture" = the centre of the player shows red or blue (a frozen last frame
 *    still counts: the make-before-break keeps it on screen on purpose). For every sample
 *    without picture, outside the player's stopped periods (from the stop signal to the
 *    restart), the 5 s clock of each live source s of that player starts at:
 *      - the start of the no-picture run, if s was already live then (the player lost its
 *        picture, or started, while s was live: the limit applies directly; a run that follows
 *        a restart starts at the restart);
 *      - else (s recovered during the run: prelive) the player's first request to s after its
 *        recovery, from the server's own log (HLS: any request; WHEP: a POST);
 *      - for s = the fallback only, pushed back by the "due" of the primary's faults in force
 *        meanwhile, since in prelive the primary is preferred and the fallback wins only once
 *        the primary is known not live: a hung playlist or WHEP POST runs to the probe's
 *        deadline (2 × assumed target duration = 12 s, + 1 s), a primary whose probe says live
 *        but whose media never plays (hung or corrupt segments, frozen playlist; ICE failure)
 *        runs to the startup limit (10 s HLS / 5 s WHEP, + 2 s). Faults seen at once have none.
 *    Violation: some live source's clock has run more than 5 s, still no picture. No other
 *    delay is granted.
 *    A figure, not an invariant: the longest time a picture stood still on screen (the visible
 *    video's position and decoded frames unchanged).
 *    Separately, prelive wait: a source recovered during a no-picture run must get a request
 *    from the player within backoff cap + 5 s (+ the due of the other source's faults, whose
 *    hung probe delays the next round). The cap is read from the policy table, not hard-coded
 *    (DEFAULT_THRESHOLDS.retryCapMs).
 * 2. Stop. After a deliberate stop is signalled: state `stopped` within 8 s + backoff cap +
 *    the due of the fallback's fault; from 0.5 s after `stopped` until the restart, no picture
 *    and the state stays `stopped`; from 1 s after `stopped`, no request for either of the
 *    player's streams on either server, and no WHEP session open on its WHEP stream.
 * 3. WHEP sessions. At each quiet point the server's open sessions equal what the players hold
 *    (B plays its WHEP primary: 1; A plays its HLS primary, cold standby: 0), within 5 s; after
 *    the players are removed, 0, and no request reaches either server.
 * 4. No growth. Counters from test/soak/instrument.ts (MediaSources not closed, hls.js
 *    instances attached and not destroyed, RTCPeerConnections not closed, pending timers, live
 *    event-listener registrations), after a real GC, as the minimum of 5 readings 300 ms apart:
 *    at every quiet point exactly 1 MediaSource, 1 hls.js, 1 peer connection (A on HLS, B on
 *    WHEP); timers and listeners at the last two quiet points not above the first quiet point
 *    + TIMER_SLACK / LISTENER_SLACK; after removal, 0 / 0 / 0 and timers and listeners back to
 *    the baseline taken before mounting (+ the same slack).
 * 5. No uncaught error or unhandled rejection on the page.
 */
import { counts, raw, type ResourceCounts } from './instrument.js'; // first: before the element loads
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { DEFAULT_THRESHOLDS } from '../../src/policy/thresholds.js';
import type { LivePlayer } from '../../src/live-player.js';
import {
  classify,
  type FaultKind,
  mountPlayer,
  openWhepSessions,
  origin,
  poll,
  type RecordedChange,
  recordFigure,
  recordStates,
  recordUncaught,
  requestLog,
  resetServers,
  setFault,
  setWhepFault,
  whep,
  type WhepFaultKind,
  whepLog,
} from '../browser/helpers.js';
import { FaultTimeline } from '../support/timeline.js';
import {
  checkPicture,
  fmt,
  isPicture,
  setEpoch,
  type GapFigures,
  type PlayerSpec,
  type Sample,
  type StreamId,
  type Violation,
} from './analysis.js';

const sleep = (ms: number) => new Promise<void>((resolve) => raw.setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Settings

const SAMPLE_EVERY_MS = 300;
const CHAOS_PHASE_MS = 25000;
const STOP_HOLD_MS = 4000;
/** A quiet point and its checks take about this long; a cycle starts only if it fits. */
const QUIET_BUDGET_MS = 12000;
/**
 * Slack for pending timers and listener registrations between two resting readings (a poll's
 * timer or a request's listeners in flight at every one of the 5 readings). Seen in practice:
 * equal readings. Three leaked setIntervals and 20 leaked window listeners were caught with
 * these (tried while developing).
 */
const TIMER_SLACK = 2;
const LISTENER_SLACK = 6;
/** The larger of the machine's and the element's retry cap: another engineer is raising it. */
const BACKOFF_CAP_MS = DEFAULT_THRESHOLDS.retryCapMs;
const PROBE_DUE_MS = DEFAULT_THRESHOLDS.requestTimeoutTargetDurations * DEFAULT_THRESHOLDS.assumedTargetDurationMs + 1000;
const HLS_STARTUP_DUE_MS = DEFAULT_THRESHOLDS.startupTimeoutMs + 2000;
const WHEP_STARTUP_DUE_MS = DEFAULT_THRESHOLDS.whepStartupTimeoutMs + 2000;
const STOP_LIMIT_MS = 8000 + BACKOFF_CAP_MS;

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32)

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo: number, hi: number) => lo + (hi - lo) * next(),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}

// ---------------------------------------------------------------------------------------------
// Faults

interface FaultDef {
  name: string;
  live: boolean;
  dueMs: number;
  apply: () => Promise<void>;
}

const nameOf = (s: StreamId) => s.split(':')[1] as 'primary' | 'fallback';

function hlsFault(stream: StreamId, kind: FaultKind, dueMs = 0, extra?: Record<string, number>): FaultDef {
  const live = kind === 'none' || kind === 'slow-segments';
  return { name: kind + (extra?.ms ? ` ${extra.ms} ms` : ''), live, dueMs, apply: () => setFault(nameOf(stream), kind, extra) };
}

function whepFault(stream: StreamId, steps: { kind: WhepFaultKind; extra?: Record<string, string | number> }[], dueMs = 0): FaultDef {
  return {
    name: steps.map((s) => s.kind + (s.extra?.quiet ? ' (quiet)' : '')).join('+'),
    live: steps.length === 1 && steps[0].kind === 'none',
    dueMs,
    apply: async () => {
      for (const step of steps) await setWhepFault(nameOf(stream), step.kind, step.extra);
    },
  };
}

/** What chaos may do to a stream (a deliberate stop of a primary is separate). */
function faultMenu(stream: StreamId): FaultDef[] {
  if (stream.startsWith('hls:')) {
    const menu = [
      hlsFault(stream, '404'),
      hlsFault(stream, '503'),
      hlsFault(stream, 'refuse'),
      hlsFault(stream, 'cors'),
      hlsFault(stream, 'hang', PROBE_DUE_MS),
      hlsFault(stream, 'hang-playlist', PROBE_DUE_MS),
      hlsFault(stream, 'hang-segments', HLS_STARTUP_DUE_MS),
      hlsFault(stream, 'corrupt', HLS_STARTUP_DUE_MS),
      hlsFault(stream, 'freeze', HLS_STARTUP_DUE_MS),
      hlsFault(stream, 'slow-segments', 0, { ms: 400 }),
    ];
    // An ended fallback is only a failed fallback; on a primary it is the deliberate stop.
    if (stream === 'hls:fallback') menu.push(hlsFault(stream, 'endlist'));
    return menu;
  }
  const cut = (kind: WhepFaultKind, extra?: Record<string, number>) => [{ kind: 'cut' as const }, { kind, extra }];
  const menu = [
    whepFault(stream, [{ kind: 'publisher-gone' }]),
    whepFault(stream, [{ kind: 'publisher-gone', extra: { quiet: 1 } }]),
    whepFault(stream, cut('post-404')),
    whepFault(stream, cut('post-503', { retryAfter: 1 })),
    whepFault(stream, cut('post-409', { retryAfter: 1 })),
    whepFault(stream, cut('hang'), PROBE_DUE_MS),
    whepFault(stream, cut('ice-fail'), WHEP_STARTUP_DUE_MS),
  ];
  if (stream === 'whep:fallback') menu.push(whepFault(stream, [{ kind: 'stop' }]));
  return menu;
}

const healthy = (stream: StreamId): FaultDef =>
  stream.startsWith('hls:') ? hlsFault(stream, 'none') : whepFault(stream, [{ kind: 'none' }]);

// ---------------------------------------------------------------------------------------------
// Server logs

async function whepSessionsOn(stream: 'primary' | 'fallback'): Promise<number> {
  const { controlUrl } = await whep();
  return (await (await fetch(`${controlUrl}/sessions`)).json())[stream];
}

/** Every request to a stream, as [time, what], fetched incrementally (the servers keep 10 000). */
class RequestLogs {
  readonly byStream = new Map<StreamId, { t: number; what: string; media: boolean }[]>();
  private since = 0;
  constructor(start: number) {
    this.since = start;
  }
  async pull(): Promise<void> {
    const until = Date.now();
    const [hls, wh] = await Promise.all([requestLog(this.since), whepLog(this.since)]);
    for (const e of hls) this.add(`hls:${e.stream}` as StreamId, e.t, `${e.path} ${e.status}`, true);
    // A WHEP "request to the source" is a POST (a probe or a session); every request is kept.
    for (const e of wh) this.add(`whep:${e.stream}` as StreamId, e.t, `${e.method} ${e.path} ${e.status}`, e.method === 'POST');
    this.since = until;
  }
  private add(stream: StreamId, t: number, what: string, media: boolean) {
    if (!this.byStream.has(stream)) this.byStream.set(stream, []);
    const list = this.byStream.get(stream)!;
    if (list.some((e) => e.t === t && e.what === what)) return; // the same entry at a pull boundary
    list.push({ t, what, media });
  }
  firstMediaRequest(stream: StreamId, from: number): number | null {
    const hit = (this.byStream.get(stream) ?? []).filter((e) => e.media && e.t >= from).sort((a, b) => a.t - b.t)[0];
    return hit ? hit.t : null;
  }
  between(stream: StreamId, from: number, to: number) {
    return (this.byStream.get(stream) ?? []).filter((e) => e.t >= from && e.t < to);
  }
}

// ---------------------------------------------------------------------------------------------
// The run

interface Player extends PlayerSpec {
  selector: string;
  /** Dropped after removal, so that the final counts see only what the page itself retains. */
  element: LivePlayer;
  busy: boolean;
  stops: { signalledAt: number; stoppedAt: number | null; detectMs: number | null }[];
}

interface QuietReading {
  at: number;
  label: string;
  counts: ResourceCounts;
}

const uncaught = recordUncaught();

async function gc(): Promise<void> {
  await executeServerCommand('soak-gc');
  await sleep(50); // weak references are cleared after the task that collected
}

/** The minimum of 5 readings 300 ms apart, each after a GC: the resting level, not a blip. */
async function restingCounts(): Promise<ResourceCounts> {
  const readings: ResourceCounts[] = [];
  for (let i = 0; i < 5; i += 1) {
    await gc();
    readings.push(counts());
    await sleep(300);
  }
  const min = (f: (c: ResourceCounts) => number) => Math.min(...readings.map(f));
  const best = readings.reduce((a, b) => (b.listeners.total < a.listeners.total ? b : a));
  return {
    mediaSources: min((c) => c.mediaSources),
    hlsInstances: min((c) => c.hlsInstances),
    peerConnections: min((c) => c.peerConnections),
    timers: min((c) => c.timers),
    timerSites: readings.reduce((a, b) => (b.timers < a.timers ? b : a)).timerSites,
    listeners: best.listeners,
  };
}

const brief = (c: ResourceCounts) =>
  `MediaSource ${c.mediaSources}, hls.js ${c.hlsInstances}, RTCPeerConnection ${c.peerConnections}, timers ${c.timers}, listeners ${c.listeners.total} (window ${c.listeners.window}, document ${c.listeners.document}, in page ${c.listeners.connected}, detached ${c.listeners.detached}, other ${c.listeners.other})`;

type Rng = ReturnType<typeof rng>;

/**
 * One soak run: its players, servers' faults, samples and findings, and its phases in order
 * (set-up, chaos phases each followed by a quiet point, with stops and restarts inside them,
 * the removal, the picture rule, the report). The `it` below calls the phases.
 */
class SoakRun {
  readonly violations: Violation[] = [];
  readonly faults = new FaultTimeline<StreamId>();
  readonly logs: RequestLogs;
  readonly faultCounts: Record<string, number> = {};
  recoveries = 0;
  bothDown = 0;
  cycles = 0;
  readonly quiet: QuietReading[] = [];
  readonly samples: Sample[] = [];
  private sampling = true;
  private sampler: Promise<void> = Promise.resolve();
  /** Where the picture rule does not apply, per player: before mounting, while stopped, after removal. */
  readonly excluded: Record<string, { from: number; to: number }[]>;
  players: Player[] = [];
  baseline!: ResourceCounts;

  private constructor(
    readonly minutes: number,
    readonly seed: number,
    readonly random: Rng,
    readonly startedAt: number,
    readonly endAt: number,
  ) {
    this.logs = new RequestLogs(startedAt);
    this.excluded = { A: [], B: [] };
    for (const stream of ['hls:primary', 'hls:fallback', 'whep:primary', 'whep:fallback'] as StreamId[]) {
      this.faults.record({ stream, kind: 'none', live: true, startedAt, appliedAt: startedAt, dueMs: 0 });
    }
  }

  violate(invariant: string, detail: string, player?: string) {
    const v = { invariant, player, at: Date.now(), detail };
    this.violations.push(v);
    console.log(`[soak] VIOLATION ${fmt(v.at)} ${player ?? ''} ${invariant}: ${detail}`);
  }

  current(stream: StreamId) {
    return this.faults.current(stream)!;
  }

  async change(stream: StreamId, def: FaultDef): Promise<void> {
    await this.faults.change(stream, def.name, def.apply, { live: def.live, dueMs: def.dueMs });
    if (def.name === 'none') this.recoveries += 1;
    else this.faultCounts[`${stream} ${def.name}`] = (this.faultCounts[`${stream} ${def.name}`] ?? 0) + 1;
  }

  lastSeen(p: Player) {
    return this.samples.at(-1)?.players[p.id];
  }

  // --- set-up --------------------------------------------------------------------------------

  /** Healthy servers, the resting counts before any player, both players mounted, the sampler running. */
  static async setUp(minutes: number, seed: number, random: Rng): Promise<SoakRun> {
    await resetServers();
    const [{ streams: hls, posterUrl }, { streams: wh, controlUrl: whepControl }] = await Promise.all([origin(), whep()]);
    const startedAt = Date.now();
    setEpoch(startedAt);
    const run = new SoakRun(minutes, seed, random, startedAt, startedAt + minutes * 60000);

    // Baseline before any player exists.
    document.body.style.display = 'flex';
    document.body.style.gap = '8px';
    run.baseline = await restingCounts();
    console.log(`[soak] baseline: ${brief(run.baseline)}`);

    const mountedAt = Date.now();
    const mount = async (id: string, attributes: Record<string, string | boolean>) => {
      const element = await mountPlayer({ id: `soak-${id}`, poster: posterUrl, muted: true, ...attributes });
      element.style.width = '380px';
      return element;
    };
    run.players = [
      {
        id: 'A',
        selector: '#soak-A',
        primary: 'hls:primary',
        fallback: 'whep:fallback',
        element: await mount('A', { primary: hls.primary, fallback: wh.fallback }),
        busy: false,
        stops: [],
      },
      {
        id: 'B',
        selector: '#soak-B',
        primary: 'whep:primary',
        fallback: 'hls:fallback',
        element: await mount('B', { primary: wh.primary, fallback: hls.fallback, 'primary-status': `${whepControl}/status/primary` }),
        busy: false,
        stops: [],
      },
    ];
    run.excluded.A.push({ from: 0, to: mountedAt });
    run.excluded.B.push({ from: 0, to: mountedAt });
    run.sampler = run.sample();
    return run;
  }

  /** The sampler: both players from one screenshot, and their states, every SAMPLE_EVERY_MS until stopped. */
  private async sample(): Promise<void> {
    const { players } = this;
    while (this.sampling) {
      const t = Date.now();
      const states = Object.fromEntries(players.map((p) => [p.id, p.element.state]));
      // The video on screen's position and decoded frames: a frozen last frame is still "picture"
      // by the pixels; this tells how long it stood still (a figure, not an invariant).
      const frames = Object.fromEntries(
        players.map((p) => {
          const video = p.element.shadowRoot?.querySelector<HTMLVideoElement>('video[data-visible]');
          return [p.id, video ? `${video.currentTime.toFixed(3)}/${video.getVideoPlaybackQuality().totalVideoFrames}` : undefined];
        }),
      );
      const colours = await executeServerCommand<({ r: number; g: number; b: number } | null)[], { selectors: string[] }>(
        'soak-sample',
        {
          selectors: players.map((p) => p.selector),
        },
      );
      const at = Math.round((t + Date.now()) / 2);
      this.samples.push({
        t: at,
        players: Object.fromEntries(
          players.map((p, i) => [
            p.id,
            { state: states[p.id], seen: colours[i] ? classify(colours[i]!) : 'none', frame: frames[p.id] },
          ]),
        ),
      });
      await sleep(Math.max(0, SAMPLE_EVERY_MS - (Date.now() - t)));
    }
  }

  // --- chaos phases and quiet points ------------------------------------------------------------

  /** A quiet point first, then chaos phases, each followed by a quiet point, while a cycle fits in the run. */
  async chaosCycles(): Promise<void> {
    const { random, players } = this;
    await this.quietPoint('start');
    // The hls.js counter really counts the element's instances: A plays HLS (1) … (0 after removal, at the end).
    if (this.quiet[0].counts.hlsInstances !== 1)
      this.violate('instrument: the hls.js counter sees the instance of A', brief(this.quiet[0].counts));
    while (Date.now() + CHAOS_PHASE_MS + QUIET_BUDGET_MS < this.endAt || this.cycles === 0) {
      this.cycles += 1;
      const stopsAt = new Map<Player, number>();
      for (const [i, p] of players.entries()) {
        // Both primaries are stopped in the first phase (A early, B mid-phase), then at random.
        if (this.cycles === 1) stopsAt.set(p, CHAOS_PHASE_MS * (i === 0 ? random.between(0.1, 0.25) : random.between(0.45, 0.6)));
        else if (random.chance(0.4)) stopsAt.set(p, CHAOS_PHASE_MS * random.between(0.1, 0.6));
      }
      console.log(`[soak] ${fmt(Date.now())} chaos phase ${this.cycles}`);
      await this.chaos(CHAOS_PHASE_MS, stopsAt);
      await this.quietPoint(`after phase ${this.cycles}`);
      await this.logs.pull();
    }
  }

  /** One chaos phase: faults and recoveries every 1–4 s, stops at the planned times. */
  private async chaos(phaseMs: number, stopsAt: Map<Player, number>): Promise<void> {
    const { random, players } = this;
    const phaseStart = Date.now();
    const running: Promise<void>[] = [];
    while (Date.now() - phaseStart < phaseMs) {
      for (const [p, at] of stopsAt) {
        if (Date.now() - phaseStart >= at) {
          stopsAt.delete(p);
          running.push(this.stopAndRestart(p));
        }
      }
      const free = players.filter((p) => !p.busy);
      if (free.length) {
        const p = random.pick(free);
        const roll = random.next();
        const down = [p.primary, p.fallback].filter((s) => !this.current(s).live);
        if (roll < 0.35 && down.length) {
          // a recovery
          const stream = random.pick(down);
          await this.change(stream, healthy(stream));
        } else if (roll < 0.55) {
          // both of one player's sources down at once
          this.bothDown += 1;
          await Promise.all([p.primary, p.fallback].map((s) => this.change(s, random.pick(faultMenu(s)))));
        } else {
          const stream = random.pick([p.primary, p.fallback]);
          await this.change(stream, random.pick(faultMenu(stream)));
        }
      }
      await sleep(random.between(1000, 4000));
      await this.logs.pull();
    }
    await Promise.all(running);
    await this.logs.pull();
  }

  /** Waits until every player plays its primary with its picture on 3 samples in a row. */
  private async settledOnPrimaries(limitMs: number): Promise<boolean> {
    const from = Date.now();
    let streak = 0;
    let count = this.samples.length;
    while (Date.now() - from < limitMs) {
      await sleep(100);
      if (this.samples.length === count) continue;
      count = this.samples.length;
      const ok = this.players.every((p) => p.element.state === 'primary' && this.lastSeen(p)?.seen === 'red');
      streak = ok ? streak + 1 : 0;
      if (streak >= 3) return true;
    }
    return false;
  }

  /** Every stream healthy, both players reloaded and back on their primaries; then the checks of a quiet point. */
  private async quietPoint(label: string): Promise<void> {
    const { players } = this;
    for (const p of players) {
      for (const stream of [p.primary, p.fallback])
        if (this.current(stream).kind !== 'none') await this.change(stream, healthy(stream));
    }
    await sleep(1000);
    for (const p of players) p.element.reload();
    if (!(await this.settledOnPrimaries(20000))) {
      this.violate(
        'quiet point: both players back on their primaries within 20 s',
        players.map((p) => `${p.id}: ${p.element.state}, seen ${this.lastSeen(p)?.seen}`).join('; '),
      );
    }
    await sleep(2000);
    // The WHEP server's own count: B holds its primary's session, A (HLS, cold standby) none.
    let open = { primary: 0, fallback: 0 };
    await poll(
      async () => {
        open = { primary: await whepSessionsOn('primary'), fallback: await whepSessionsOn('fallback') };
        return open.primary === 1 && open.fallback === 0;
      },
      5000,
      250,
      sleep,
    );
    if (open.primary !== 1 || open.fallback !== 0) {
      this.violate(
        'WHEP sessions at a quiet point = what the players hold (primary 1, fallback 0)',
        `server counts primary ${open.primary}, fallback ${open.fallback}`,
      );
    }
    const reading = await restingCounts();
    this.quiet.push({ at: Date.now(), label, counts: reading });
    console.log(`[soak] ${fmt(Date.now())} quiet point ${label}: ${brief(reading)}; timers set at: ${reading.timerSites.join(', ')}`);
    const expected = { mediaSources: 1, hlsInstances: 1, peerConnections: 1 };
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
      if (reading[key] !== expected[key])
        this.violate(`no growth: ${key} at a quiet point = ${expected[key]}`, `${label}: ${brief(reading)}`);
    }
  }

  // --- stops and restarts -------------------------------------------------------------------

  /** A deliberate stop of a player's primary, then the checks, then a restart. */
  private async stopAndRestart(p: Player): Promise<void> {
    p.busy = true;
    const fallbackDue = this.current(p.fallback).live ? 0 : this.current(p.fallback).dueMs;
    const limit = STOP_LIMIT_MS + fallbackDue;
    const signalledAt = Date.now();
    this.excluded[p.id].push({ from: signalledAt, to: Infinity });
    console.log(`[soak] ${fmt(signalledAt)} stop ${p.id}'s primary (state ${p.element.state})`);
    if (p.primary === 'hls:primary') await this.change(p.primary, hlsFault(p.primary, 'endlist'));
    else await this.change(p.primary, whepFault(p.primary, [{ kind: 'stop' }]));
    const stoppedAt = await poll(
      () => (p.element.state === 'stopped' ? Date.now() : null),
      limit - (Date.now() - signalledAt),
      50,
      sleep,
    );
    p.stops.push({ signalledAt, stoppedAt, detectMs: stoppedAt && stoppedAt - signalledAt });
    if (stoppedAt === null) {
      this.violate(`stop: state stopped within ${limit} ms`, `still ${p.element.state} (seen ${this.lastSeen(p)?.seen})`, p.id);
    } else {
      await this.stoppedChecks(p, stoppedAt);
    }
    // Restart: the primary live again, then reload (the fallback keeps whatever chaos left).
    await this.change(p.primary, healthy(p.primary));
    p.element.reload();
    this.excluded[p.id].at(-1)!.to = Date.now();
    console.log(
      `[soak] ${fmt(Date.now())} ${p.id} restarted after its stop (${stoppedAt ? `stopped in ${stoppedAt - signalledAt} ms` : 'never stopped'})`,
    );
    p.busy = false;
  }

  /** A stopped player shows no picture, stays stopped, asks nothing and holds no WHEP session. */
  private async stoppedChecks(p: Player, stoppedAt: number): Promise<void> {
    await sleep(STOP_HOLD_MS);
    const quietFrom = stoppedAt + 1000;
    const now = Date.now();
    const shown = this.samples.filter((s) => s.t >= stoppedAt + 500 && s.t < now).map((s) => s.players[p.id]!);
    const wrong = shown.filter((s) => isPicture(s.seen) || s.state !== 'stopped');
    if (wrong.length)
      this.violate(
        'stop: no picture, state stays stopped',
        `${wrong.length}/${shown.length} samples after stopped: ${wrong
          .slice(0, 3)
          .map((s) => `${s.state}/${s.seen}`)
          .join(', ')}`,
        p.id,
      );
    await this.logs.pull();
    for (const stream of [p.primary, p.fallback]) {
      const late = this.logs.between(stream, quietFrom, now);
      if (late.length)
        this.violate(
          'stop: no request after stopped',
          `${stream}: ${late.length} request(s) from ${fmt(late[0].t)}: ${late
            .slice(0, 3)
            .map((e) => e.what)
            .join(', ')}`,
          p.id,
        );
    }
    const whepStream = (p.primary.startsWith('whep:') ? p.primary : p.fallback).slice(5) as 'primary' | 'fallback';
    const open = await whepSessionsOn(whepStream);
    if (open !== 0) this.violate('stop: no WHEP session open after stopped', `${open} open on ${whepStream}`, p.id);
  }

  // --- the end: remove the players, everything must go ------------------------------------------

  /**
   * Removes both players: no WHEP session left, no request afterwards, the counters back to the
   * baseline; the trend over the quiet points; no uncaught error. Returns what the players
   * went through (their state changes), kept before the players are let go.
   */
  async removalChecks(): Promise<Map<string, RecordedChange[]>> {
    const { players } = this;
    const removedAt = Date.now();
    for (const p of players) {
      this.excluded[p.id].push({ from: removedAt, to: Infinity });
      p.element.remove();
    }
    let open = -1;
    await poll(async () => (open = await openWhepSessions()) === 0, 5000, 100, sleep);
    if (open !== 0) this.violate('WHEP sessions: 0 after the players are removed', `${open} still open after 5 s`);
    await sleep(1000);
    const silentFrom = Date.now();
    await sleep(3000);
    this.sampling = false;
    await this.sampler;
    await this.logs.pull();
    for (const stream of ['hls:primary', 'hls:fallback', 'whep:primary', 'whep:fallback'] as StreamId[]) {
      const late = this.logs.between(stream, silentFrom, Date.now());
      if (late.length)
        this.violate(
          'no request after the players are removed',
          `${stream}: ${late
            .map((e) => e.what)
            .slice(0, 3)
            .join(', ')}`,
        );
    }
    // What the players went through, then no more references to them from here: what stays
    // alive after a GC is what the page itself retains.
    const stateLog = new Map(players.map((p) => [p.id, [...recordStates(p.element)]]));
    for (const p of players) (p as { element: LivePlayer | null }).element = null;
    this.final = await restingCounts();
    const { baseline, final } = this;
    console.log(`[soak] after removal: ${brief(final)}`);
    for (const key of ['mediaSources', 'hlsInstances', 'peerConnections'] as const) {
      if (final[key] !== 0) this.violate(`no growth: ${key} 0 after removal`, brief(final));
    }
    if (final.timers > baseline.timers + TIMER_SLACK)
      this.violate(
        'no growth: timers back to the baseline after removal',
        `baseline ${baseline.timers}, now ${final.timers}; set at: ${final.timerSites.join(', ')}`,
      );
    if (final.listeners.total > baseline.listeners.total + LISTENER_SLACK) {
      this.violate(
        'no growth: listeners back to the baseline after removal',
        `baseline ${brief(baseline)}; now ${brief(final)}; commonest now: ${final.listeners.top.join(', ')}`,
      );
    }
    // Trend over the quiet points: the last two not above the first (+ slack).
    const { quiet } = this;
    if (quiet.length >= 2) {
      const first = quiet[0].counts;
      for (const q of quiet.slice(-2)) {
        if (q.counts.timers > first.timers + TIMER_SLACK)
          this.violate(
            'no growth: pending timers over the quiet points',
            `${quiet[0].label}: ${first.timers}; ${q.label}: ${q.counts.timers}; set at: ${q.counts.timerSites.join(', ')}`,
          );
        if (q.counts.listeners.total > first.listeners.total + LISTENER_SLACK) {
          this.violate(
            'no growth: event listeners over the quiet points',
            `${quiet[0].label}: ${brief(first)}; ${q.label}: ${brief(q.counts)}; commonest: ${q.counts.listeners.top.join(', ')}`,
          );
        }
      }
    }
    for (const error of uncaught) this.violate('no uncaught error on the page', String(error));
    return stateLog;
  }

  final!: ResourceCounts;

  // --- the picture rule over the whole run ------------------------------------------------------

  /** Applies the picture rule to each player; each violation told with the player's own account. Returns the gap figures. */
  pictureChecks(stateLog: Map<string, RecordedChange[]>, end: number): Record<string, GapFigures> {
    const gapFigures: Record<string, GapFigures> = {};
    for (const p of this.players) {
      const { violations: found, figures } = checkPicture({
        player: p,
        samples: this.samples,
        faults: this.faults,
        excluded: this.excluded[p.id].map((e) => ({ from: e.from, to: e.to === Infinity ? end : e.to })),
        requests: (stream, from) => this.logs.firstMediaRequest(stream, from),
        backoffCapMs: BACKOFF_CAP_MS,
        end,
      });
      // The player's own account of the episode: its state changes, with reasons and causes.
      const said = stateLog.get(p.id)!;
      for (const v of found) {
        const told = said
          .map((c) => ({ ...c, t: Date.now() - (performance.now() - c.at) }))
          .filter((c) => c.t >= (v.from ?? v.at) - 3000 && c.t <= v.at + 10000)
          .map((c) => `${fmt(c.t)} ${c.previous}→${c.state} (${c.reason}${c.cause ? `: ${c.cause}` : ''})`);
        v.detail += `; the player's states: ${told.join(', ') || 'no change'}`;
        this.violations.push(v);
        console.log(`[soak] VIOLATION ${fmt(v.at)} ${v.player} ${v.invariant}: ${v.detail}`);
      }
      gapFigures[p.id] = figures;
    }
    return gapFigures;
  }

  // --- the report -------------------------------------------------------------------------------

  /** The soak's report (test-results/soak.json, for scripts/soak.mjs) and its figure. */
  async report(stateLog: Map<string, RecordedChange[]>, gapFigures: Record<string, GapFigures>, end: number): Promise<void> {
    const { players, seed, minutes } = this;
    const changesOf = (p: Player) => stateLog.get(p.id)!;
    const figures = {
      name: 'soak',
      seed,
      minutes,
      durationMs: end - this.startedAt,
      cycles: this.cycles,
      samples: this.samples.length,
      backoffCapMs: BACKOFF_CAP_MS,
      faultsInjected: Object.values(this.faultCounts).reduce((a, b) => a + b, 0),
      recoveries: this.recoveries,
      bothDownEvents: this.bothDown,
      faultsByKind: this.faultCounts,
      players: Object.fromEntries(
        players.map((p) => [
          p.id,
          {
            sources: `${p.primary} → ${p.fallback}`,
            stateChanges: changesOf(p).length,
            switches: changesOf(p).filter(
              (c) => (c.state === 'primary' || c.state === 'fallback') && (c.previous === 'primary' || c.previous === 'fallback'),
            ).length,
            toPrelive: changesOf(p).filter((c) => c.state === 'prelive').length,
            stops: p.stops,
            ...gapFigures[p.id],
          },
        ]),
      ),
      counts: { baseline: this.baseline, quiet: this.quiet.map((q) => ({ label: q.label, ...q.counts })), final: this.final },
      violations: this.violations,
      // For reading a violation: what was done, what each player did and asked for (times from the start, in s).
      timeline: {
        faults: this.faults.changes.map((c) => `${fmt(c.startedAt)}…${fmt(c.appliedAt)} ${c.stream} ${c.kind}`),
        states: Object.fromEntries(
          players.map((p) => [
            p.id,
            changesOf(p).map(
              (c) =>
                `${fmt(Date.now() - (performance.now() - c.at))} ${c.previous}→${c.state} ${c.reason}${c.cause ? `: ${c.cause}` : ''}`,
            ),
          ]),
        ),
        requests: Object.fromEntries(
          [...this.logs.byStream.entries()].map(([stream, list]) => [stream, list.map((e) => `${fmt(e.t)} ${e.what}`)]),
        ),
      },
    };
    await executeServerCommand('soak-report', figures);
    await recordFigure({
      name: 'soak',
      seed,
      minutes,
      faultsInjected: figures.faultsInjected,
      violations: this.violations.length,
      longestOwedMs: Math.max(...players.map((p) => gapFigures[p.id].longestOwedMs)),
    });
    console.log(
      `[soak] ${figures.faultsInjected} faults, ${this.recoveries} recoveries, ${this.violations.length} violation(s); seed ${seed}`,
    );
  }
}

describe('chaos soak', function () {
  it('never stuck, never leaking', async function () {
    const { minutes, seed } = await executeServerCommand<{ minutes: number; seed: number }, undefined>('soak-config');
    this.timeout(minutes * 60000 + 180000);
    const random = rng(seed);
    console.log(`[soak] seed ${seed} (replay with SOAK_SEED=${seed}), ${minutes} min, backoff cap ${BACKOFF_CAP_MS} ms`);

    const soak = await SoakRun.setUp(minutes, seed, random);
    await soak.chaosCycles();
    const stateLog = await soak.removalChecks();
    const end = Date.now();
    const gapFigures = soak.pictureChecks(stateLog, end);
    await soak.report(stateLog, gapFigures, end);

    expect(
      soak.violations.map((v) => `${fmt(v.at)} ${v.player ?? '-'} [${v.invariant}] ${v.detail}`),
      `soak invariants (seed ${seed}, replay with SOAK_SEED=${seed})`,
    ).to.deep.equal([]);
  });
});
