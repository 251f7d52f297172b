/**
 * Browser-test helpers: the local origin's controls, what the viewer sees (from a real
 * screenshot), and waiting for states. No fakes: everything here talks to real servers.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { classify, type ColourClass, type Rgb } from '../../bench/colour.mjs';
import { poll, sleep, until } from '../support/until.mjs';
import '../../src/define.js';
import type { FailoverDetail, LivePlayer } from '../../src/live-player.js';
import type { PlayerState } from '../../src/constants.js';

/** A stream's playlist URL through each edge (CDN) of the origin. */
export interface EdgeUrls {
  a: string;
  b: string;
}

export interface OriginInfo {
  controlUrl: string;
  posterUrl: string;
  /** Each stream's own URL: the same as its edge a. */
  streams: { primary: string; fallback: string; spare: string };
  /** Every stream through every edge; all edges of a stream serve the same live timeline. */
  edges: Record<StreamName, EdgeUrls>;
}

export type StreamName = keyof OriginInfo['streams'];
export type EdgeName = keyof EdgeUrls;
export type FaultKind =
  | 'none'
  | '404'
  | '503'
  | 'refuse'
  | 'hang'
  | 'hang-playlist'
  | 'hang-segments'
  | 'slow'
  | 'slow-segments'
  | 'freeze'
  | 'endlist'
  | 'corrupt'
  | 'cors'
  | 'gap';

let originInfo: Promise<OriginInfo> | null = null;
export function origin(): Promise<OriginInfo> {
  originInfo ??= fetch('/__origin.json').then((response) => response.json());
  return originInfo;
}

export interface WhepInfo {
  controlUrl: string;
  streams: { primary: string; fallback: string };
}
let whepInfo: Promise<WhepInfo> | null = null;
export function whep(): Promise<WhepInfo> {
  whepInfo ??= fetch('/__whep.json').then((response) => response.json());
  return whepInfo;
}

export type WhepFaultKind =
  | 'none'
  | 'publisher-gone'
  | 'post-404'
  | 'post-503'
  | 'post-409'
  | 'ice-fail'
  | 'cut'
  | 'stop'
  | 'hang'
  | 'require-token'
  | 'move'
  | 'no-patch'
  | 'reconnect'
  | 'offer-406';

export async function setWhepFault(stream: 'primary' | 'fallback', kind: WhepFaultKind, extra: Record<string, string | number> = {}) {
  const { controlUrl } = await whep();
  const query = new URLSearchParams({ kind, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])) });
  const response = await fetch(`${controlUrl}/control/${stream}?${query}`);
  if (!response.ok) throw new Error(`WHEP control failed: ${response.status} ${await response.text()}`);
}

export async function resetWhep() {
  const { controlUrl } = await whep();
  await fetch(`${controlUrl}/reset`);
}

/** Open WHEP sessions on the server, by its own count. */
export async function openWhepSessions(): Promise<number> {
  const { controlUrl } = await whep();
  return (await (await fetch(`${controlUrl}/sessions`)).json()).total;
}

/** Waits until the server counts `expected` open sessions (0: every session the players opened was closed). */
export async function waitForWhepSessions(expected: number, timeoutMs = 10000): Promise<void> {
  let open = -1;
  await until(
    async () => (open = await openWhepSessions()) === expected,
    () => `${open} WHEP session(s) open, expected ${expected}`,
    timeoutMs,
    100,
  );
}

/** Waits until the server counts no open session (every session the player opened was closed). */
export function waitForNoWhepSessions(timeoutMs = 5000): Promise<void> {
  return waitForWhepSessions(0, timeoutMs);
}

/**
 * Sets an origin fault. `extra` goes into the query: `ms`, `retryAfter`, and `edge` for one
 * edge's delivery fault (`{ edge: 'b' }`); without an edge the fault is the whole stream's.
 * freeze and endlist are the encoder's (every edge): the origin refuses them with an edge.
 */
export async function setFault(
  stream: StreamName,
  kind: FaultKind,
  extra: { edge?: EdgeName } & Record<string, string | number> = {},
) {
  const { controlUrl } = await origin();
  const query = new URLSearchParams({ kind, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])) });
  const response = await fetch(`${controlUrl}/control/${stream}?${query}`);
  if (!response.ok) throw new Error(`origin control failed: ${response.status} ${await response.text()}`);
}

/** Both servers back to healthy: every fault cleared, logs emptied. */
export async function resetServers() {
  await Promise.all([resetOrigin(), resetWhep()]);
}

export async function resetOrigin() {
  const { controlUrl } = await origin();
  await fetch(`${controlUrl}/reset`);
}

export interface LoggedRequest {
  t: number;
  stream: string;
  /** The edge (CDN) that received the request. */
  edge: EdgeName;
  kind: 'playlist' | 'init' | 'segment' | 'other';
  path: string;
  status: number;
}

/** What the origin saw since `since` (epoch ms): every request, or one stream's, or one edge's of it. */
export async function requestLog(since: number, stream?: StreamName, edge?: EdgeName): Promise<LoggedRequest[]> {
  const { controlUrl } = await origin();
  const query = new URLSearchParams({ since: String(since), ...(stream ? { stream } : {}), ...(edge ? { edge } : {}) });
  return (await fetch(`${controlUrl}/log?${query}`)).json();
}

export interface WhepLogEntry {
  t: number;
  /** '' for the server's STUN server (method `STUN`). */
  stream: string;
  method: string;
  path: string;
  status: number;
  /** The request's Host header (STUN: the sender's address). */
  host: string;
  token: boolean;
}

/** What the WHEP server saw since `since` (epoch ms), for one stream or all. */
export async function whepLog(since: number, stream?: 'primary' | 'fallback'): Promise<WhepLogEntry[]> {
  const { controlUrl } = await whep();
  const query = new URLSearchParams({ since: String(since), ...(stream ? { stream } : {}) });
  return (await fetch(`${controlUrl}/log?${query}`)).json();
}

/**
 * What the viewer sees, by the one colour rule (bench/colour.mjs): the test streams' colours
 * (primary red, fallback blue, spare green), the grey poster, black, something else, or
 * nothing ('none': the element has no area on screen).
 */
export type Seen = ColourClass | 'none';
export { classify };

/** What a viewer sees in the centre of the player, from a screenshot of the page. */
export async function seen(selector = 'live-player'): Promise<Seen> {
  const colour = await executeServerCommand<Rgb | false, { selector: string }>('sample-screen', { selector });
  return colour ? classify(colour) : 'none';
}

/** Samples the screen until `expected` is seen; every sample on the way (to check what came between). */
export async function screenUntil(expected: Seen, timeoutMs: number, selector = 'live-player'): Promise<Seen[]> {
  const samples: Seen[] = [];
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    samples.push(await seen(selector));
    if (samples.at(-1) === expected) return samples;
  }
  throw new Error(`never saw ${expected} within ${timeoutMs} ms; saw ${[...new Set(samples)].join(', ')}`);
}

/** The `failover` event's times are in order: started (maybe warming) ≤ decided < first frame. */
export function expectSaneTimeline(detail: FailoverDetail) {
  expect(detail.switchStartedAt, 'the new endpoint started no later than the decision').to.be.at.most(detail.detectedAt);
  expect(detail.firstFrameAt, 'its first frame came after it started').to.be.greaterThan(detail.switchStartedAt);
  expect(detail.freezeMs).to.be.a('number').and.at.least(0);
}

/** The player's next `failover` event. */
export function nextFailover(player: LivePlayer): Promise<FailoverDetail> {
  return new Promise((resolve) => player.addEventListener('failover', (event) => resolve(event.detail), { once: true }));
}

/** Polls the screen until `expected` is seen; resolves with the time it took (ms). */
export async function waitForSeen(expected: Seen, timeoutMs = 30000, selector = 'live-player'): Promise<number> {
  const start = performance.now();
  let last: Seen = 'none';
  await until(
    async () => (last = await seen(selector)) === expected,
    () => `to see ${expected}; last saw ${last}`,
    timeoutMs,
  );
  return performance.now() - start;
}

/** Sees `expected` on several screenshots in a row (not a single lucky frame). */
export async function expectSteady(expected: Seen, samples = 4, selector = 'live-player'): Promise<void> {
  for (let i = 0; i < samples; i += 1) {
    const now = await seen(selector);
    if (now !== expected) throw new Error(`expected a steady ${expected}, saw ${now} on sample ${i + 1}`);
    await sleep(150);
  }
}

export function waitForState(player: LivePlayer, state: PlayerState, timeoutMs = 30000): Promise<number> {
  const start = performance.now();
  if (player.state === state) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      player.removeEventListener('statechange', onChange);
      reject(new Error(`expected state ${state} within ${timeoutMs} ms; it is ${player.state}`));
    }, timeoutMs);
    const onChange = () => {
      if (player.state !== state) return;
      clearTimeout(timer);
      player.removeEventListener('statechange', onChange);
      resolve(performance.now() - start);
    };
    player.addEventListener('statechange', onChange);
  });
}

export interface RecordedChange {
  state: string;
  previous: string;
  reason: string;
  cause?: string;
  at: number;
}
const recorded = new WeakMap<LivePlayer, RecordedChange[]>();

/** Every statechange of a player mounted by mountPlayer, from its very first. */
export function recordStates(player: LivePlayer): RecordedChange[] {
  const changes = recorded.get(player);
  if (!changes) throw new Error('mount the player with mountPlayer() to record its states');
  return changes;
}

export async function mountPlayer(
  attributes: Record<string, string | boolean>,
  properties: Partial<Pick<LivePlayer, 'thresholds' | 'primaryToken' | 'fallbackToken' | 'strings'>> = {},
): Promise<LivePlayer> {
  const player = document.createElement('live-player');
  Object.assign(player, properties);
  const changes: RecordedChange[] = [];
  recorded.set(player, changes);
  player.addEventListener('statechange', (event) => changes.push({ ...event.detail, at: performance.now() }));
  player.style.width = '480px';
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) player.setAttribute(name, '');
    else if (value !== false) player.setAttribute(name, value);
  }
  document.body.append(player);
  await player.updateComplete;
  return player;
}

export function unmountAll() {
  for (const player of document.querySelectorAll('live-player')) player.remove();
}

/**
 * Mounts a muted player and waits until it plays its primary: state `primary` and `colour` on
 * screen (with `steady`, on several screenshots in a row).
 */
export async function mountPlaying(
  attributes: Record<string, string | boolean>,
  properties: Parameters<typeof mountPlayer>[1] = {},
  { colour = 'red', steady = false, timeoutMs = 20000 }: { colour?: Seen; steady?: boolean; timeoutMs?: number } = {},
): Promise<LivePlayer> {
  const player = await mountPlayer({ ...attributes, muted: true }, properties);
  await waitForState(player, 'primary', timeoutMs);
  await waitForSeen(colour, timeoutMs);
  if (steady) await expectSteady(colour);
  return player;
}

/** Runs `act` (a fault, say), then waits until `colour` is on screen: the time from the act to it (ms). */
export async function timeToSee(colour: Seen, act: () => Promise<unknown>, timeoutMs = 30000): Promise<number> {
  const from = performance.now();
  await act();
  await waitForSeen(colour, timeoutMs);
  return Math.round(performance.now() - from);
}

export interface FreshServersOptions {
  /** Which servers to reset: both (default), or only the HLS origin (a file that never uses WHEP). */
  servers?: 'both' | 'origin';
  /**
   * After each test, wait up to 10 s for the WHEP server to count no open session: `closed`
   * fails the test if one stays open (every session the players opened must be closed),
   * `settled` only waits (the tests assert it themselves).
   */
  whepSessions?: 'closed' | 'settled';
  /** Around the whole file (before/after), for tests that go on from one another. */
  once?: boolean;
  /** The file's own clearing up, first after each test (before its players are removed). */
  cleanUp?: () => unknown;
}

/**
 * Registers the hooks of a browser test file: the servers healthy, their faults cleared and
 * their logs emptied before each test; after it, the file's own clean-up, every player
 * removed, the WHEP sessions closed (if asked) and the servers healthy again.
 */
export function useFreshServers({ servers = 'both', whepSessions, once = false, cleanUp }: FreshServersOptions = {}): void {
  const reset = servers === 'both' ? resetServers : resetOrigin;
  (once ? before : beforeEach)(reset);
  (once ? after : afterEach)(async () => {
    await cleanUp?.();
    unmountAll();
    if (whepSessions === 'closed') await waitForNoWhepSessions(10000);
    else if (whepSessions === 'settled') await waitForNoWhepSessions(10000).catch(() => {});
    await reset();
  });
}

/** Every uncaught error and unhandled rejection on the page from now on (to expect none). */
export function recordUncaught(): unknown[] {
  const uncaught: unknown[] = [];
  window.addEventListener('error', (event) => uncaught.push(event.error ?? event.message));
  window.addEventListener('unhandledrejection', (event) => uncaught.push(event.reason));
  return uncaught;
}

/** Cuts (or restores) the viewer's network, as the browser's own network emulation does. */
export function setOffline(offline: boolean) {
  return executeServerCommand('set-offline', { offline });
}

export function recordFigure(figure: Record<string, unknown>) {
  return executeServerCommand('record-figure', figure);
}

export { poll, sleep, until };
