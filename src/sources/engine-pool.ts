/**
 * Keeps at most one engine per endpoint alive across the machine's actor boundaries, so a
 * switch can be made before it breaks: the next endpoint starts (or is already warm) in its
 * own hidden <video> while the failing one keeps showing its buffer, and the old engine is
 * torn down only when the new one has its first frame.
 * Policy: an engine is shared by every lease on its endpoint (a warm standby becomes the
 * played endpoint without reconnecting); an engine with no lease lingers at most
 * `lingerMs`, or 1 s once the source taking over has a picture, then is destroyed;
 * `destroyIdle()` ends every unleased engine at once (nothing live, or stopped: no network
 * at all). A failed engine leased again starts over, unless it failed at the network level
 * and can resume in place (the viewer was offline: keep its picture and buffer).
 */
import { keyOf } from '../machine/ladder.js';
import type { EndpointRef, LadderStep, SourceEvent } from '../machine/types.js';
import { limitsFor, type HealthThresholds } from '../policy/thresholds.js';
import type { Engine, EngineContext, EngineEvent, SourceCredentials } from './engine.js';
import { loaderFor } from './loaders.js';

export interface EnginePoolEnvironment {
  videoFor(endpoint: EndpointRef): Promise<HTMLVideoElement>;
  thresholds(): HealthThresholds;
  credentialsFor(endpoint: EndpointRef): SourceCredentials;
  onAutoplayMuted(): void;
  /** The engine of this endpoint was destroyed: its video shows nothing any more. */
  onEngineGone?(endpoint: EndpointRef): void;
  /** Which engine plays a source (default: the lazy loaders of loaders.ts; tests give fakes). */
  loaderFor?: typeof loaderFor;
}

type Listener = (event: SourceEvent) => void;

/** How long a released engine stays when the source taking over already has a picture. */
const HANDOVER_MS = 1000;

interface Entry {
  endpoint: EndpointRef;
  key: string;
  url: string;
  engine: Engine | null;
  /** performance.now() when the engine was asked to start. */
  startedAt: number;
  destroyed: boolean;
  firstFrame: boolean;
  /** FAILED or STOPPED, once reported: replayed to later leases. */
  settled: SourceEvent | null;
  listeners: Set<Listener>;
  lingerTimer?: ReturnType<typeof setTimeout>;
}

export class EnginePool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly environment: EnginePoolEnvironment,
    private readonly lingerMs = 8000,
  ) {}

  /**
   * Takes a share of the engine that plays this endpoint in its video, starting it if needed.
   * Events reach `listener` from then on (a first frame or a failure already seen is replayed).
   * Returns the release function.
   */
  lease(step: LadderStep, targetDurationMs: number | undefined, listener: Listener): () => void {
    let entry = this.entries.get(keyOf(step));
    if (entry && !entry.destroyed && entry.url === step.source.url && entry.settled && this.resumed(entry)) entry.settled = null;
    if (!entry || entry.destroyed || entry.settled || entry.url !== step.source.url) {
      if (entry) this.destroy(entry);
      entry = this.start(step, targetDurationMs);
    }
    const current = entry;
    clearTimeout(current.lingerTimer);
    current.listeners.add(listener);
    // What had happened before this lease is replayed (a moment later, as an event would come);
    // what happens from now on reaches the listener live: nothing is heard twice.
    const { firstFrame, settled } = current;
    queueMicrotask(() => {
      if (!current.listeners.has(listener)) return;
      if (firstFrame) listener({ type: 'SOURCE.FIRST_FRAME', ...current.endpoint });
      if (settled) listener(settled);
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      current.listeners.delete(listener);
      if (current.listeners.size === 0 && !current.destroyed) {
        // Another source already has a picture (a warm one took over): this one only has to
        // cover the re-render that shows it, not a whole start-up.
        const covered = [...this.entries.values()].some((other) => other !== current && other.firstFrame && other.listeners.size > 0);
        current.lingerTimer = setTimeout(() => this.destroy(current), covered ? HANDOVER_MS : this.lingerMs);
      }
    };
  }

  /**
   * A network-level failure (nobody answered: the viewer's network) is carried on in place
   * where the engine can, so the picture stays until new frames come.
   */
  private resumed(entry: Entry): boolean {
    const { settled } = entry;
    return settled?.type === 'SOURCE.FAILED' && settled.network === true && entry.engine?.resume?.() === true;
  }

  /** Destroys every engine that nobody holds. */
  destroyIdle(): void {
    for (const entry of [...this.entries.values()]) if (entry.listeners.size === 0) this.destroy(entry);
  }

  destroyAll(): void {
    for (const entry of [...this.entries.values()]) this.destroy(entry);
  }

  /** When the engine now playing this endpoint was started (for the `failover` event). */
  startedAt(endpoint: EndpointRef): number | undefined {
    return this.entries.get(keyOf(endpoint))?.startedAt;
  }

  private start(step: LadderStep, targetDurationMs: number | undefined): Entry {
    const { source } = step;
    const endpoint: EndpointRef = { role: step.role, index: step.index };
    const entry: Entry = {
      endpoint,
      key: keyOf(endpoint),
      url: source.url,
      engine: null,
      startedAt: performance.now(),
      destroyed: false,
      firstFrame: false,
      settled: null,
      listeners: new Set(),
    };
    this.entries.set(entry.key, entry);
    const send = (report: EngineEvent) => {
      if (entry.destroyed) return;
      const event = { ...report, ...endpoint } as SourceEvent;
      if (event.type === 'SOURCE.FIRST_FRAME') {
        if (entry.firstFrame) return;
        entry.firstFrame = true;
        this.onFirstFrame(entry);
      }
      if (event.type === 'SOURCE.FAILED' || event.type === 'SOURCE.STOPPED') entry.settled = event;
      for (const listener of [...entry.listeners]) listener(event);
    };
    void (async () => {
      try {
        const video = await this.environment.videoFor(endpoint);
        const loader = (this.environment.loaderFor ?? loaderFor)(source, video);
        if (!loader) throw new Error(`no engine can play this ${source.kind} source here`);
        const factory = await loader.load();
        if (entry.destroyed) return;
        const thresholds = this.environment.thresholds();
        const context: EngineContext = {
          video,
          source,
          thresholds,
          limits: limitsFor(thresholds, targetDurationMs),
          credentials: this.environment.credentialsFor(endpoint),
          send,
          onAutoplayMuted: this.environment.onAutoplayMuted,
        };
        entry.engine = factory(context);
      } catch (error) {
        send({ type: 'SOURCE.FAILED', cause: `engine did not start: ${(error as Error).message}` });
      }
    })();
    return entry;
  }

  private onFirstFrame(entry: Entry): void {
    // An engine nobody holds (a candidate passed over) takes over from no one.
    if (entry.listeners.size === 0) return;
    // The new picture is there: what lingered only to cover the switch can go once the
    // element has shown the new video (a moment later, not now: destroying it now would
    // blank the old picture before the new one is on screen).
    for (const other of [...this.entries.values()]) {
      if (other !== entry && other.listeners.size === 0) {
        clearTimeout(other.lingerTimer);
        other.lingerTimer = setTimeout(() => this.destroy(other), HANDOVER_MS);
      }
    }
  }

  private destroy(entry: Entry): void {
    if (entry.destroyed) return;
    entry.destroyed = true;
    clearTimeout(entry.lingerTimer);
    entry.listeners.clear();
    entry.engine?.destroy();
    if (this.entries.get(entry.key) === entry) {
      this.entries.delete(entry.key);
      this.environment.onEngineGone?.(entry.endpoint);
    }
  }
}
