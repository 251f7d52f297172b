/** Public exports of live-player. Defines nothing: import `live-player/define` for that. */
export { LivePlayer } from './live-player.js';
export { DEFAULT_STRINGS, stringsFor } from './strings.js';
export type { LivePlayerStrings, StringsOption } from './strings.js';
export type {
  FailoverDetail,
  PlayerErrorDetail,
  PlayerWarningDetail,
  SourceChangeDetail,
  SourceInfo,
  StateChangeDetail,
} from './live-player.js';
export type { TokenOption } from './options.js';
export { TAG_NAME, Attributes, Events, States, Reasons, ErrorCodes, WarningCodes } from './constants.js';
export type { PlayerState, StateChangeReason, ErrorCode, WarningCode } from './constants.js';
export { DEFAULT_THRESHOLDS } from './policy/thresholds.js';
export type { HealthThresholds } from './policy/thresholds.js';
