/**
 * Resource counters for the soak, installed in the page BEFORE the element's code loads (the
 * soak test imports this module first; ES modules evaluate their imports in order). Test side
 * only: src/ is untouched. Counts, at any instant:
 * - mediaSources: MediaSource objects (constructed through window.MediaSource, which hls.js
 *   uses) whose readyState is not 'closed' (a detached MediaSource is 'closed');
 * - peerConnections: RTCPeerConnections whose connectionState is not 'closed';
 * - hlsInstances: hls.js instances attached to a media element and not destroyed (the element
 *   imports 'hls.js' lazily; under the test server that is the same module URL as the import
 *   below, so patching its prototype counts the element's instances; the soak checks this);
 * - timers: pending setTimeout callbacks and uncleared setInterval timers (not those of the
 *   test runner's own page script, which leaves a 20 s timeout behind every server command);
 * - listeners: distinct event-listener registrations (target, type, listener, capture) still
 *   in place, on targets still alive (weakly held: after a real GC, listeners on collected
 *   objects no longer count), split by where they are.
 * Counters over weakly held objects are exact only after a garbage collection: the soak asks
 * the browser for one (`soak-gc`) before every sample it compares.
 */
import Hls from 'hls.js';

type Counted = { readonly readyState?: string; readonly connectionState?: string };

const mediaSources = new Set<WeakRef<MediaSource>>();
const peerConnections = new Set<WeakRef<RTCPeerConnection>>();
const hlsLive = new Set<Hls>();
/** Pending timers, each with where it was set (the first stack frame outside this file). */
const pendingTimers = new Map<number, string>();

function site(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const frame = frames.find((f) => !f.includes('instrument.ts')) ?? '?';
  return frame
    .trim()
    .replace(/^at /, '')
    .replace(/https?:\/\/[^/]+\//, '')
    .replace(/\?[^:)]*/, '');
}

/** The page's own timer functions, untouched: the soak's own waiting is not counted. */
export const raw = {
  setTimeout: window.setTimeout.bind(window),
  clearTimeout: window.clearTimeout.bind(window),
  setInterval: window.setInterval.bind(window),
  clearInterval: window.clearInterval.bind(window),
};

function liveCount<T extends Counted & object>(refs: Set<WeakRef<T>>, isOpen: (o: T) => boolean): number {
  let n = 0;
  for (const ref of refs) {
    const o = ref.deref();
    if (!o) refs.delete(ref);
    else if (isOpen(o)) n += 1;
  }
  return n;
}

// --- MediaSource -------------------------------------------------------------------------
const NativeMediaSource = window.MediaSource;
if (NativeMediaSource) {
  class CountedMediaSource extends NativeMediaSource {
    constructor() {
      super();
      mediaSources.add(new WeakRef(this));
    }
  }
  window.MediaSource = CountedMediaSource;
}
// Chromium has no ManagedMediaSource today; if it ever does, hls.js may prefer it: count it too.
const managed = (window as unknown as { ManagedMediaSource?: typeof MediaSource }).ManagedMediaSource;
if (managed) {
  class CountedManagedMediaSource extends managed {
    constructor() {
      super();
      mediaSources.add(new WeakRef(this));
    }
  }
  (window as unknown as { ManagedMediaSource: typeof MediaSource }).ManagedMediaSource = CountedManagedMediaSource;
}

// --- RTCPeerConnection ---------------------------------------------------------------------
const NativePeerConnection = window.RTCPeerConnection;
class CountedPeerConnection extends NativePeerConnection {
  constructor(configuration?: RTCConfiguration) {
    super(configuration);
    peerConnections.add(new WeakRef(this));
  }
}
window.RTCPeerConnection = CountedPeerConnection;

// --- hls.js ---------------------------------------------------------------------------------
const attachMedia = Hls.prototype.attachMedia;
const destroy = Hls.prototype.destroy;
Hls.prototype.attachMedia = function (this: Hls, ...args: Parameters<Hls['attachMedia']>) {
  hlsLive.add(this);
  return attachMedia.apply(this, args);
};
Hls.prototype.destroy = function (this: Hls) {
  hlsLive.delete(this);
  return destroy.apply(this);
};

// --- timers ---------------------------------------------------------------------------------
type TimerArgs = [handler: TimerHandler, timeout?: number, ...args: unknown[]];
window.setTimeout = function (handler: TimerHandler, timeout?: number, ...args: unknown[]): number {
  if (typeof handler !== 'function') return raw.setTimeout(handler, timeout, ...args);
  const id: number = raw.setTimeout(
    (...a: unknown[]) => {
      pendingTimers.delete(id);
      (handler as (...x: unknown[]) => void)(...a);
    },
    timeout,
    ...args,
  );
  const where = site();
  // The test runner's own: a 20 s timeout per server command, never cleared (not the player's).
  if (!where.includes('__web-dev-server__')) pendingTimers.set(id, `timeout ${where}`);
  return id;
} as typeof window.setTimeout;
window.setInterval = function (...[handler, timeout, ...args]: TimerArgs): number {
  const id = raw.setInterval(handler, timeout, ...args);
  pendingTimers.set(id, `interval ${site()}`);
  return id;
} as typeof window.setInterval;
// Either clear function clears either kind of timer in browsers.
window.clearTimeout = function (id?: number) {
  if (id !== undefined) pendingTimers.delete(id);
  raw.clearTimeout(id);
} as typeof window.clearTimeout;
window.clearInterval = function (id?: number) {
  if (id !== undefined) pendingTimers.delete(id);
  raw.clearInterval(id);
} as typeof window.clearInterval;

// --- event listeners ------------------------------------------------------------------------
interface Registration {
  target: WeakRef<EventTarget>;
  type: string;
}
const registrations = new Set<Registration>();
const byTarget = new WeakMap<EventTarget, Map<string, Registration>>();
const listenerIds = new WeakMap<object, number>();
let nextListenerId = 1;

function listenerKey(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): string {
  let id = listenerIds.get(listener);
  if (id === undefined) {
    id = nextListenerId++;
    listenerIds.set(listener, id);
  }
  const capture = typeof options === 'boolean' ? options : Boolean(options?.capture);
  return `${type}\u0000${capture ? 1 : 0}\u0000${id}`;
}

function forget(target: EventTarget, key: string): void {
  const map = byTarget.get(target);
  const registration = map?.get(key);
  if (!map || !registration) return;
  map.delete(key);
  registrations.delete(registration);
}

const nativeAdd = EventTarget.prototype.addEventListener;
const nativeRemove = EventTarget.prototype.removeEventListener;
EventTarget.prototype.addEventListener = function (
  this: EventTarget,
  type: string,
  listener: EventListenerOrEventListenerObject | null,
  options?: boolean | AddEventListenerOptions,
) {
  nativeAdd.call(this, type, listener, options);
  if (!listener || (typeof options === 'object' && options.signal?.aborted)) return;
  const target = this ?? window;
  const key = listenerKey(type, listener, options);
  let map = byTarget.get(target);
  if (!map) {
    map = new Map();
    byTarget.set(target, map);
  }
  if (map.has(key)) return; // the browser ignores a duplicate registration too
  const registration: Registration = { target: new WeakRef(target), type };
  map.set(key, registration);
  registrations.add(registration);
  if (typeof options === 'object') {
    // Removed by the browser without removeEventListener: after a `once` listener runs, or
    // when its `signal` aborts.
    if (options.once) nativeAdd.call(target, type, () => forget(target, key), { once: true, capture: options.capture });
    if (options.signal) nativeAdd.call(options.signal, 'abort', () => forget(target, key), { once: true });
  }
};
EventTarget.prototype.removeEventListener = function (
  this: EventTarget,
  type: string,
  listener: EventListenerOrEventListenerObject | null,
  options?: boolean | EventListenerOptions,
) {
  nativeRemove.call(this, type, listener, options);
  if (listener) forget(this ?? window, listenerKey(type, listener, options));
};

export interface ListenerCounts {
  total: number;
  window: number;
  document: number;
  /** On nodes in the document (shadow trees included). */
  connected: number;
  /** On nodes out of the document that are still alive. */
  detached: number;
  /** On anything else still alive: media sources, peer connections, signals, sockets … */
  other: number;
  /** The five commonest (target, type) pairs, for a report. */
  top: string[];
}

function listenerCounts(): ListenerCounts {
  const counts: ListenerCounts = { total: 0, window: 0, document: 0, connected: 0, detached: 0, other: 0, top: [] };
  const kinds = new Map<string, number>();
  for (const registration of registrations) {
    const target = registration.target.deref();
    if (!target) {
      registrations.delete(registration);
      continue;
    }
    counts.total += 1;
    let where: string;
    if (target === window) where = 'window';
    else if (target === document) where = 'document';
    else if (target instanceof Node) where = target.isConnected ? 'connected' : 'detached';
    else where = 'other';
    counts[where as 'window'] += 1;
    const name = `${target.constructor?.name ?? '?'}.${registration.type}`;
    kinds.set(name, (kinds.get(name) ?? 0) + 1);
  }
  counts.top = top(
    (function* () {
      for (const [name, n] of kinds) for (let i = 0; i < n; i += 1) yield name;
    })(),
  );
  return counts;
}

function top(names: Iterable<string>, n = 5): string[] {
  const tally = new Map<string, number>();
  for (const name of names) tally.set(name, (tally.get(name) ?? 0) + 1);
  return [...tally.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, k]) => `${name} ×${k}`);
}

export interface ResourceCounts {
  mediaSources: number;
  hlsInstances: number;
  peerConnections: number;
  timers: number;
  /** The five commonest places pending timers were set, for a report. */
  timerSites: string[];
  listeners: ListenerCounts;
}

/** The counters now (collect garbage first, in a previous task, for exact figures). */
export function counts(): ResourceCounts {
  return {
    mediaSources: liveCount(mediaSources, (ms) => ms.readyState !== 'closed'),
    hlsInstances: hlsLive.size,
    peerConnections: liveCount(peerConnections, (pc) => pc.connectionState !== 'closed'),
    timers: pendingTimers.size,
    timerSites: top(pendingTimers.values()),
    listeners: listenerCounts(),
  };
}
