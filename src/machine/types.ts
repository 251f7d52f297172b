/**
 * The contract between the machine and the effects it runs. The machine knows sources only
 * as opaque descriptors and learns about them through the events below; engines, probes
 * and watchers live in src/sources and are supplied with `machine.provide({actors})`.
 *
 * Vocabulary: a *stream* (`primary` or `fallback`) is published at one or more *endpoints*
 * (a ladder: WebRTC first, HLS of the same stream, a second CDN …), tried in order.
 */
import type { HealthThresholds } from '../policy/thresholds.js';

/** A stream: the public states are per stream. */
export type SourceRole = 'primary' | 'fallback';

/** One endpoint of a stream. Opaque to the machine: it is handed back to the actors as is. */
export interface SourceDescriptor {
  url: string;
  kind: 'hls' | 'whep';
  /** WHEP endpoints of the primary: the optional status endpoint that can tell a deliberate stop. */
  statusUrl?: string;
}

/** Which endpoint: `index` into its stream's ladder. */
export interface EndpointRef {
  role: SourceRole;
  index: number;
}

/** An endpoint with its place in the ladder, as the actors receive it. */
export interface LadderStep extends EndpointRef {
  source: SourceDescriptor;
}

/**
 * Whose failure it is, which decides where the player goes next:
 * - `endpoint`: this endpoint is down (its server, one CDN): the stream's other endpoints
 *   may still be live, so they are tried first. Also what an engine says when it cannot tell.
 * - `stream`: the stream itself is down (publisher gone, playlist frozen: the encoder died):
 *   its other endpoints are skipped and the other stream is tried.
 * - `path`: this viewer cannot reach this endpoint (ICE/DTLS never connected: UDP blocked):
 *   like `endpoint`, and the endpoint is left alone for the crowd-safe backoff (at least
 *   the hysteresis window) before it is tried again.
 */
export type FailureScope = 'endpoint' | 'stream' | 'path';

/** What one probe found. */
export type ProbeVerdict =
  /** Playlist loads, is live (and, when asked, advances); WHEP: POST answered 201. */
  | { status: 'live'; targetDurationMs?: number }
  /**
   * Not live now. `retryAfterMs` when the server asked for a delay (Retry-After); `network`
   * when no server answered at all (offline, refused, DNS, CORS: the browser cannot tell).
   */
  | { status: 'not-live'; cause: string; retryAfterMs?: number; network?: boolean }
  /** Deliberately ended (HLS: #EXT-X-ENDLIST). Only meaningful for the primary. */
  | { status: 'stopped'; cause: string };

/** What a probe of one or more endpoints of a stream found: `index` is the endpoint that decided. */
export type StreamVerdict = ProbeVerdict & { index: number };

export interface ProbeInput {
  role: SourceRole;
  /** The endpoints to probe, in ladder order: the first live one wins (see ladder.ts). */
  steps: LadderStep[];
  /** Also require the stream to advance (costs about one target duration). */
  confirmAdvance: boolean;
}

export interface PlayInput extends LadderStep {
  /** From the probe that preceded playback, when known. */
  targetDurationMs?: number;
}

/** Watches endpoints that are not on screen (the primary while the fallback plays). */
export interface WatchInput {
  steps: LadderStep[];
}

/** Events sent back to the machine by the play, warm and watch actors, tagged with their endpoint. */
export type SourceEvent =
  | ({ type: 'SOURCE.FIRST_FRAME' } & EndpointRef)
  /** `network`: no server answered at all (see ProbeVerdict): maybe the viewer's own network. */
  | ({ type: 'SOURCE.FAILED'; cause: string; scope?: FailureScope; network?: boolean } & EndpointRef)
  /** A deliberate stop: the primary stream's ends everything; a fallback endpoint's is a failure. */
  | ({ type: 'SOURCE.STOPPED'; cause: string } & EndpointRef)
  /** First sign of trouble: the next endpoint starts warming; the switch still waits for FAILED. */
  | ({ type: 'SOURCE.SUSPECT'; cause: string; scope?: FailureScope } & EndpointRef)
  /** A warming endpoint (hidden, not on screen) has its first frame: a switch to it is seamless. */
  | ({ type: 'SOURCE.READY' } & EndpointRef)
  /** From a watcher: the watched endpoint is live and advancing. */
  | ({ type: 'SOURCE.LIVE' } & EndpointRef)
  /** From a watcher: the watched endpoint is not live. */
  | ({ type: 'SOURCE.DOWN'; cause: string } & EndpointRef);

/** The machine's own timer event: an endpoint left alone after a `path` failure may be tried again. */
export type RetryEvent = { type: 'ENDPOINT.RETRY' } & EndpointRef;

/**
 * The viewer's network, from the page (`navigator.onLine`, the `online` / `offline` events, a
 * network change): OFFLINE holds everything as it is; ONLINE retries at once.
 */
export type ViewerEvent = { type: 'VIEWER.OFFLINE' } | { type: 'VIEWER.ONLINE' };

/** The policy numbers the machine reads (src/policy/thresholds.ts owns their defaults). */
export type MachineTiming = Pick<
  HealthThresholds,
  'retryBaseMs' | 'retryCapMs' | 'preferPrimaryAfterMs' | 'failoverSpreadMs' | 'reconnectJitterMs'
> & {
  /** Source of randomness for jitter, in [0, 1). */
  random: () => number;
};

/**
 * `cold`: the next endpoint starts warming at the first sign of trouble.
 * `warm`: while the primary stream plays, the next endpoint in line is kept warm (connected,
 * or loaded at its live edge) all along.
 */
export type StandbyMode = 'cold' | 'warm';

export interface MachineInput {
  /** The primary stream's endpoints, in order of preference (at least one). */
  primary: readonly SourceDescriptor[];
  /** The fallback stream's endpoints (empty: no fallback). */
  fallback: readonly SourceDescriptor[];
  preferPrimary: boolean;
  standby?: StandbyMode;
  timing?: Partial<MachineTiming>;
}
