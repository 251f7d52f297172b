/**
 * Every public name of <live-player> in one place: tag, attributes, events, states and
 * the reason codes carried by `statechange`. Pure data, safe to import anywhere.
 */

/** The element's tag name. */
export const TAG_NAME = 'live-player' as const;

export const Attributes = {
  PRIMARY: 'primary',
  FALLBACK: 'fallback',
  PRIMARY_TYPE: 'primary-type',
  FALLBACK_TYPE: 'fallback-type',
  POSTER: 'poster',
  MUTED: 'muted',
  CONTROLS: 'controls',
  PREFER_PRIMARY: 'prefer-primary',
  STANDBY: 'standby',
  PRIMARY_STATUS: 'primary-status',
  DATA_STATE: 'data-state',
  /** Present while the viewer seems offline (the player holds its state and picture). */
  DATA_OFFLINE: 'data-offline',
} as const;

export const Events = {
  STATE_CHANGE: 'statechange',
  FAILOVER: 'failover',
  SOURCE_CHANGE: 'sourcechange',
  ERROR: 'error',
  WARNING: 'warning',
} as const;

/** Public states, as reflected in `data-state` and returned by `player.state`. */
export const States = {
  /** Not started yet: not connected to a document, or no configuration applied. */
  IDLE: 'idle',
  PRELIVE: 'prelive',
  PRIMARY: 'primary',
  FALLBACK: 'fallback',
  STOPPED: 'stopped',
  /** The configuration cannot be played (see the `error` event). */
  ERROR: 'error',
} as const;
export type PlayerState = (typeof States)[keyof typeof States];

/** Why the state changed: the `reason` of a `statechange` event. */
export const Reasons = {
  START: 'start',
  PRIMARY_LIVE: 'primary-live',
  FALLBACK_LIVE: 'fallback-live',
  PRIMARY_FAILED: 'primary-failed',
  FALLBACK_FAILED: 'fallback-failed',
  PRIMARY_STOPPED: 'primary-stopped',
  PRIMARY_RECOVERED: 'primary-recovered',
  CONFIG_CHANGED: 'config-changed',
  RELOAD: 'reload',
  INVALID_CONFIG: 'invalid-config',
  DISCONNECTED: 'disconnected',
} as const;
export type StateChangeReason = (typeof Reasons)[keyof typeof Reasons];

/** Codes of the `error` event's `detail.code`. */
export const ErrorCodes = {
  MISSING_PRIMARY: 'missing-primary',
  INVALID_URL: 'invalid-url',
  UNSUPPORTED_SCHEME: 'unsupported-scheme',
  UNSUPPORTED_SOURCE_TYPE: 'unsupported-source-type',
  /** A ladder longer than `MAX_ENDPOINTS` (8): each endpoint gets a <video> of its own. */
  TOO_MANY_ENDPOINTS: 'too-many-endpoints',
  HLS_UNSUPPORTED: 'hls-unsupported',
  WEBRTC_UNSUPPORTED: 'webrtc-unsupported',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Codes of the `warning` event's `detail.code`: the player plays, but not as configured. */
export const WarningCodes = {
  /** `fallback` names the same stream as `primary` (after URL normalisation): no fallback. */
  FALLBACK_SAME_AS_PRIMARY: 'fallback-same-as-primary',
  /** A ladder lists the same URL twice: the second is ignored. */
  DUPLICATE_ENDPOINT: 'duplicate-endpoint',
  /** This browser cannot play some endpoints of a ladder (e.g. WebRTC without RTCPeerConnection): they are skipped. */
  UNSUPPORTED_ENDPOINT: 'unsupported-endpoint',
} as const;
export type WarningCode = (typeof WarningCodes)[keyof typeof WarningCodes];
