// Shared fakes for the sources-* unit tests: a scripted `fetch` installed on globalThis for
// the duration of one test, and tiny playlist builders. Not a test file (no `.test.ts`).
import { until } from '../support/until.mjs';

/** What the fake server answers to one request. */
export type FakeReply =
  | string
  | { status?: number; body?: string; headers?: Record<string, string> }
  /** fetch rejects as on a refused connection / DNS failure. */
  | { networkError: true }
  /** No answer at all: the request hangs until its signal aborts. */
  | { hang: true };

export interface FakeRequest {
  url: string;
  init: RequestInit | undefined;
  /** performance.now() when fetch was called. */
  at: number;
  /** Set when the request's signal aborted while it was pending. */
  aborted: boolean;
}

export interface FakeFetch {
  requests: FakeRequest[];
  urls(): string[];
  restore(): void;
}

const abortError = () => new DOMException('The operation was aborted.', 'AbortError');

/**
 * Replaces globalThis.fetch. `handler(url, index)` scripts the answers (index counts all
 * requests, from 0). The fake honours `init.signal` like the real fetch does.
 */
export function installFakeFetch(handler: (url: string, index: number) => FakeReply): FakeFetch {
  const real = globalThis.fetch;
  const requests: FakeRequest[] = [];
  const fake = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const request: FakeRequest = { url, init, at: performance.now(), aborted: false };
    requests.push(request);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError());
    const reply = handler(url, requests.length - 1);
    return new Promise<Response>((resolve, reject) => {
      signal?.addEventListener(
        'abort',
        () => {
          request.aborted = true;
          reject(abortError());
        },
        { once: true },
      );
      // Answer asynchronously, as a network would.
      setTimeout(() => {
        if (signal?.aborted) return;
        if (typeof reply === 'string') resolve(new Response(reply, { status: 200 }));
        else if ('networkError' in reply) reject(new TypeError('Failed to fetch'));
        else if ('hang' in reply) return;
        else resolve(new Response(reply.body ?? '', { status: reply.status ?? 200, headers: reply.headers }));
      }, 1);
    });
  };
  globalThis.fetch = fake as typeof fetch;
  return {
    requests,
    urls: () => requests.map((r) => r.url),
    restore: () => {
      globalThis.fetch = real;
    },
  };
}

/** A live (or ended) media playlist whose newest segment is `seq + count - 1`. */
export function mediaPlaylist(options: { seq: number; count?: number; targetS?: number; endList?: boolean }): string {
  const { seq, count = 3, targetS = 0.1, endList = false } = options;
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${targetS}`, `#EXT-X-MEDIA-SEQUENCE:${seq}`];
  for (let i = 0; i < count; i += 1) lines.push(`#EXTINF:${targetS},`, `seg${seq + i}.ts`);
  if (endList) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

export function masterPlaylist(variants: string[]): string {
  const lines = ['#EXTM3U'];
  variants.forEach((uri, i) => lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${(i + 1) * 500000}`, uri));
  return lines.join('\n') + '\n';
}

export const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 10 ms (real time); rejects after `timeoutMs` with `what` in the message. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  await until(condition, what, timeoutMs, 10);
}

/** The real timer, kept before any FakeClock replaces it: lets promises and the actors' mailboxes run. */
const realSetTimeout = globalThis.setTimeout.bind(globalThis);

/** Lets every pending promise callback run (one real macrotask), whatever clock is installed. */
export const settle = () => new Promise<void>((resolve) => realSetTimeout(resolve, 0));

export interface FakeClockOptions {
  /**
   * Also replace setTimeout and clearTimeout (the engine pool's linger, XState's delays, the
   * frame clock's fallback). Off by default: mocha keeps its own references to the real ones,
   * but a test that awaits a real delay (`wait`) must not turn this on.
   */
  timeouts?: boolean;
}

interface FakeTimer {
  fn: () => void;
  /** Interval period; null for a one-shot timeout. */
  every: number | null;
  due: number;
}

/**
 * A tiny manual clock for code driven by setInterval + performance.now() (the watchdog and
 * the hls.js engine), and on request setTimeout. Only those (and their clear functions) are
 * replaced, and only between install() and uninstall(): by default setTimeout, Date and
 * promises stay real, so mocha is unaffected.
 */
export class FakeClock {
  now = 0;
  // Far from the ids the browser hands out, so a real timer is never cleared by mistake.
  private nextId = 1_000_000_000;
  private readonly timers = new Map<number, FakeTimer>();
  private saved: {
    setInterval: typeof setInterval;
    clearInterval: typeof clearInterval;
    setTimeout?: typeof setTimeout;
    clearTimeout?: typeof clearTimeout;
  } | null = null;

  install(options: FakeClockOptions = {}): this {
    this.saved = { setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval };
    const schedule = (fn: unknown, ms: unknown, args: unknown[], every: number | null) => {
      if (typeof fn !== 'function') throw new TypeError('FakeClock: only function callbacks are supported');
      const id = this.nextId++;
      const delay = Math.max(0, Number(ms) || 0);
      this.timers.set(id, { fn: () => fn(...args), every, due: this.now + (every ?? delay) });
      return id;
    };
    const unschedule = (id: number | undefined, real: (id?: number) => void) => {
      if (id !== undefined && this.timers.has(id)) this.timers.delete(id);
      else real(id);
    };
    const realClearInterval = this.saved.clearInterval;
    globalThis.setInterval = ((fn: () => void, ms = 0, ...args: unknown[]) =>
      schedule(fn, ms, args, Math.max(1, ms))) as unknown as typeof setInterval;
    globalThis.clearInterval = ((id?: number) => unschedule(id, realClearInterval)) as typeof clearInterval;
    if (options.timeouts) {
      this.saved.setTimeout = globalThis.setTimeout;
      this.saved.clearTimeout = globalThis.clearTimeout;
      const realClearTimeout = this.saved.clearTimeout;
      globalThis.setTimeout = ((fn: () => void, ms = 0, ...args: unknown[]) =>
        schedule(fn, ms, args, null)) as unknown as typeof setTimeout;
      globalThis.clearTimeout = ((id?: number) => unschedule(id, realClearTimeout)) as typeof clearTimeout;
    }
    Object.defineProperty(performance, 'now', { configurable: true, value: () => this.now });
    return this;
  }

  uninstall(): void {
    if (!this.saved) return;
    globalThis.setInterval = this.saved.setInterval;
    globalThis.clearInterval = this.saved.clearInterval;
    if (this.saved.setTimeout) globalThis.setTimeout = this.saved.setTimeout;
    if (this.saved.clearTimeout) globalThis.clearTimeout = this.saved.clearTimeout;
    delete (performance as { now?: unknown }).now; // back to Performance.prototype.now
    this.saved = null;
    this.timers.clear();
  }

  /** Number of live fake timers (intervals, and timeouts when they are faked). */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Advances time by `ms`, firing every due timer in time order (ties: in the order they were
   * set). A timeout set by a callback fires within the same tick when it falls due in it.
   */
  tick(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let nextId = -1;
      let nextDue = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.due < nextDue) {
          nextDue = timer.due;
          nextId = id;
        }
      }
      if (nextId < 0 || nextDue > end) break;
      const timer = this.timers.get(nextId)!;
      this.now = nextDue;
      if (timer.every === null) this.timers.delete(nextId);
      else timer.due += timer.every;
      timer.fn();
    }
    this.now = end;
  }
}
