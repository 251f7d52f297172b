/**
 * The contract between the machine and the effects it runs. The machine knows sources only
 * as opaque descriptors and learns about them through the events below; engines, probes
 * and watchers live in src/sources and are supplied with `machine.provide({actors})`.
 */

export type SourceRole = 'primary' | 'fallback';

/** Opaque to the machine: it is handed back to the actors as is. */
export interface SourceDescriptor {
  url: string;
  kind: 'hls' | 'whep';
  /** WHEP: the optional status endpoint that can tell a deliberate stop. */
  statusUrl?: string;
}

/** What one probe of a source found. */
export type ProbeVerdict =
  /** Playlist loads, is live (and, when asked, advances). */
  | { status: 'live'; targetDurationMs?: number }
  /** Not live now. `retryAfterMs` when the server asked for a delay (Retry-After). */
  | { status: 'not-live'; cause: string; retryAfterMs?: number }
  /** Deliberately ended (HLS: #EXT-X-ENDLIST). Only meaningful for the primary. */
  | { status: 'stopped'; cause: string };

export interface ProbeInput {
  role: SourceRole;
  source: SourceDescriptor;
  /** Also require the stream to advance (costs about one target duration). */
  confirmAdvance: boolean;
}

export interface PlayInput {
  role: SourceRole;
  source: SourceDescriptor;
  /** From the probe that preceded playback, when known. */
  targetDurationMs?: number;
}

/** Watches a source that is not on screen (the primary while the fallback plays). */
export interface WatchInput {
  role: SourceRole;
  source: SourceDescriptor;
}

/** Events sent back to the machine by the play and watch actors. */
export type SourceEvent =
  | { type: 'SOURCE.FIRST_FRAME'; role: SourceRole }
  | { type: 'SOURCE.FAILED'; role: SourceRole; cause: string }
  | { type: 'SOURCE.STOPPED'; role: SourceRole; cause: string }
  /** First sign of trouble: the other source starts warming; the switch still waits for FAILED. */
  | { type: 'SOURCE.SUSPECT'; role: SourceRole; cause: string }
  /** A warming source (hidden, not on screen) has its first frame: a switch to it is seamless. */
  | { type: 'SOURCE.READY'; role: SourceRole }
  /** From a watcher: the watched source is live and advancing. */
  | { type: 'SOURCE.LIVE'; role: SourceRole }
  /** From a watcher: the watched source is not live. */
  | { type: 'SOURCE.DOWN'; role: SourceRole; cause: string };

export interface MachineTiming {
  /** First prelive retry delay before jitter. */
  backoffBaseMs: number;
  /** Upper bound of the prelive retry delay. */
  backoffCapMs: number;
  /** How long a recovered primary must stay healthy before `prefer-primary` returns to it. */
  hysteresisMs: number;
  /** Source of randomness for jitter, in [0, 1). */
  random: () => number;
}

/**
 * `cold`: the other source starts warming at the first sign of trouble.
 * `warm`: the fallback is kept warm (connected, or loaded at its live edge) all along.
 */
export type StandbyMode = 'cold' | 'warm';

export interface MachineInput {
  primary: SourceDescriptor;
  fallback: SourceDescriptor | null;
  preferPrimary: boolean;
  standby?: StandbyMode;
  timing?: Partial<MachineTiming>;
}
