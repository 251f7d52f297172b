/**
 * Keeps at most one engine per role alive across the machine's actor boundaries, so a switch
 * can be made before it breaks: the next source starts (or is already warm) in its own
 * hidden <video> while the failing one keeps showing its buffer, and the old engine is torn
 * down only when the new one has its first frame.
 * Policy: an engine is shared by every lease on its role and source (a warm standby becomes
 * the played source without reconnecting); an engine with no lease lingers at most
 * `lingerMs`, or 1 s once the source taking over has a picture, then is destroyed;
 * `destroyIdle()` ends every unleased engine at once (nothing live, or stopped: no network
 * at all).
 */
import type { SourceDescriptor, SourceEvent, SourceRole } from '../machine/types.js';
import type { Engine, EngineContext } from './engine.js';
import { loaderFor } from './loaders.js';
import { limitsFor, type HealthThresholds } from './thresholds.js';
import type { SourceCredentials } from './engine.js';

export interface EnginePoolEnvironment {
  videoFor(role: SourceRole): Promise<HTMLVideoElement>;
  thresholds(): HealthThresholds;
  credentialsFor(role: SourceRole): SourceCredentials;
  onAutoplayMuted(): void;
  /** The engine of `role` was destroyed: its video shows nothing any more. */
  onEngineGone?(role: SourceRole): void;
}

type Listener = (event: SourceEvent) => void;

/** How long a released engine stays when the source taking over already has a picture. */
const HANDOVER_MS = 1000;

interface Entry {
  role: SourceRole;
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
  private readonly entries = new Map<SourceRole, Entry>();

  constructor(
    private readonly environment: EnginePoolEnvironment,
    private readonly lingerMs = 8000,
  ) {}

  /**
   * Takes a share of the engine that plays `source` in `role`'s video, starting it if needed.
   * Events reach `listener` from then on (a first frame or a failure already seen is replayed).
   * Returns the release function.
   */
  lease(role: SourceRole, source: SourceDescriptor, targetDurationMs: number | undefined, listener: Listener): () => void {
    let entry = this.entries.get(role);
    if (!entry || entry.destroyed || entry.settled || entry.url !== source.url) {
      if (entry) this.destroy(entry);
      entry = this.start(role, source, targetDurationMs);
    }
    const current = entry;
    clearTimeout(current.lingerTimer);
    current.listeners.add(listener);
    queueMicrotask(() => {
      if (!current.listeners.has(listener)) return;
      if (current.firstFrame) listener({ type: 'SOURCE.FIRST_FRAME', role });
      if (current.settled) listener(current.settled);
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

  /** Destroys every engine that nobody holds. */
  destroyIdle(): void {
    for (const entry of [...this.entries.values()]) if (entry.listeners.size === 0) this.destroy(entry);
  }

  destroyAll(): void {
    for (const entry of [...this.entries.values()]) this.destroy(entry);
  }

  /** When the engine now playing `role` was started (for the `failover` event). */
  startedAt(role: SourceRole): number | undefined {
    return this.entries.get(role)?.startedAt;
  }

  private start(role: SourceRole, source: SourceDescriptor, targetDurationMs: number | undefined): Entry {
    const entry: Entry = {
      role,
      url: source.url,
      engine: null,
      startedAt: performance.now(),
      destroyed: false,
      firstFrame: false,
      settled: null,
      listeners: new Set(),
    };
    this.entries.set(role, entry);
    const send = (event: SourceEvent) => {
      if (entry.destroyed) return;
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
        const video = await this.environment.videoFor(role);
        const loader = loaderFor(source, video);
        if (!loader) throw new Error(`no engine can play this ${source.kind} source here`);
        const factory = await loader.load();
        if (entry.destroyed) return;
        const thresholds = this.environment.thresholds();
        const context: EngineContext = {
          video,
          role,
          source,
          thresholds,
          limits: limitsFor(thresholds, targetDurationMs),
          credentials: this.environment.credentialsFor(role),
          send,
          onAutoplayMuted: this.environment.onAutoplayMuted,
        };
        entry.engine = factory(context);
      } catch (error) {
        send({ type: 'SOURCE.FAILED', role, cause: `engine did not start: ${(error as Error).message}` });
      }
    })();
    return entry;
  }

  private onFirstFrame(entry: Entry): void {
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
    if (this.entries.get(entry.role) === entry) {
      this.entries.delete(entry.role);
      this.environment.onEngineGone?.(entry.role);
    }
  }
}
