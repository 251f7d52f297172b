/**
 * The one interface every playback engine implements (hls.js, native HLS; WHEP later),
 * and the loader shape that keeps an engine and its library out of the page until a
 * source needs it.
 */
import type { SourceDescriptor, SourceEvent, SourceRole } from '../machine/types.js';
import type { HealthThresholds, StreamLimits } from './thresholds.js';

export interface EngineContext {
  video: HTMLVideoElement;
  role: SourceRole;
  source: SourceDescriptor;
  thresholds: HealthThresholds;
  /** Limits from the probe's target duration (or the assumed one). */
  limits: StreamLimits;
  /** Credentials for this source (WHEP bearer token). Never logged, never in the DOM. */
  credentials?: SourceCredentials;
  /** Reports to the machine. After FAILED or STOPPED an engine reports nothing more. */
  send(event: SourceEvent): void;
  /** The browser refused sound without a gesture; playback continues muted. */
  onAutoplayMuted(): void;
}

export interface SourceCredentials {
  token?: string | null;
}

export interface Engine {
  /** Stops all network activity and releases the media element. Idempotent. */
  destroy(): void;
}

export type EngineFactory = (context: EngineContext) => Engine;

export interface EngineLoader {
  readonly name: string;
  canPlay(source: SourceDescriptor, video: HTMLVideoElement): boolean;
  load(): Promise<EngineFactory>;
}
