/**
 * The one interface every playback engine implements (hls.js, native HLS, WHEP), and the
 * loader shape that keeps an engine and its library out of the page until a source needs it.
 * An engine knows nothing of ladders: it plays one endpoint and reports what it sees; the
 * pool stamps its reports with the endpoint.
 */
import type { EndpointRef, SourceDescriptor, SourceEvent } from '../machine/types.js';
import type { HealthThresholds, StreamLimits } from '../policy/thresholds.js';

type WithoutEndpoint<T> = T extends unknown ? Omit<T, keyof EndpointRef> : never;

/** What an engine reports: a source event, before the pool adds which endpoint it is about. */
export type EngineEvent = WithoutEndpoint<SourceEvent>;

export interface EngineContext {
  video: HTMLVideoElement;
  source: SourceDescriptor;
  thresholds: HealthThresholds;
  /** Limits from the probe's target duration (or the assumed one). */
  limits: StreamLimits;
  /** Credentials for this endpoint (WHEP bearer token). Never logged, never in the DOM. */
  credentials?: SourceCredentials;
  /** Reports to the machine. After FAILED or STOPPED an engine reports nothing more. */
  send(event: EngineEvent): void;
  /** The browser refused sound without a gesture; playback continues muted. */
  onAutoplayMuted(): void;
}

export interface SourceCredentials {
  token?: string | null;
}

export interface Engine {
  /** Stops all network activity and releases the media element. Idempotent. */
  destroy(): void;
  /**
   * After a failure at the network level (no server answered: the viewer was offline), carry
   * on where it stopped, keeping the picture and the buffer; true when it does. An engine
   * that cannot is restarted (its video shows nothing until the new start has a frame).
   */
  resume?(): boolean;
}

export type EngineFactory = (context: EngineContext) => Engine;

export interface EngineLoader {
  readonly name: string;
  canPlay(source: SourceDescriptor, video: HTMLVideoElement): boolean;
  load(): Promise<EngineFactory>;
}
