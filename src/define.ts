/** Defines <live-player> (once) and types it for querySelector and createElement. */
import { TAG_NAME } from './constants.js';
import {
  LivePlayer,
  type FailoverDetail,
  type PlayerWarningDetail,
  type SourceChangeDetail,
  type StateChangeDetail,
} from './live-player.js';

if (!customElements.get(TAG_NAME)) customElements.define(TAG_NAME, LivePlayer);

export { LivePlayer };

declare global {
  interface HTMLElementTagNameMap {
    'live-player': LivePlayer;
  }
  interface GlobalEventHandlersEventMap {
    statechange: CustomEvent<StateChangeDetail>;
    failover: CustomEvent<FailoverDetail>;
    sourcechange: CustomEvent<SourceChangeDetail>;
    warning: CustomEvent<PlayerWarningDetail>;
  }
}
