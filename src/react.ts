/**
 * `live-player/react`: <live-player> as a React component (made with @lit/react).
 *
 * ```tsx
 * import { LivePlayer } from 'live-player/react';
 *
 * <LivePlayer
 *   primary={['https://live.example.com/whep/main', 'https://cdn.example.com/main/index.m3u8']}
 *   fallback="https://backup.example.com/main/index.m3u8"
 *   muted
 *   preferPrimary
 *   onStateChange={(event) => console.log(event.detail.state)}
 *   onError={(event) => showBanner(event.detail.message)}
 * />
 * ```
 *
 * Every property of the element is a prop (`primary`, `fallback`, `primaryType`, `fallbackType`,
 * `primaryStatus`, `poster`, `muted`, `controls`, `preferPrimary`, `standby`, `thresholds`,
 * `primaryToken`, `fallbackToken`, `strings`); `primary` and `fallback` take a URL, a
 * space-separated list or an array of endpoints. Events are typed `on…` props
 * (`onStateChange`, `onSourceChange`, `onFailover`, `onWarning`, `onError`). Importing this module defines the element
 * (once). It touches no `window` or `document` at import, so server-rendered apps can import it;
 * the server renders a bare `<live-player>`, and the props are applied in the browser.
 */
import * as React from 'react';
import { createComponent, type EventName } from '@lit/react';
import { Events } from './constants.js';
import { LivePlayer as LivePlayerElement } from './define.js';
import type { FailoverDetail, PlayerErrorDetail, PlayerWarningDetail, SourceChangeDetail, StateChangeDetail } from './live-player.js';

export type { PlayerErrorDetail, PlayerWarningDetail, SourceChangeDetail, StateChangeDetail, FailoverDetail };
export type LivePlayerElementType = LivePlayerElement;

/** The React component; its ref is the <live-player> element. */
export const LivePlayer = createComponent({
  react: React,
  tagName: 'live-player',
  elementClass: LivePlayerElement,
  displayName: 'LivePlayer',
  events: {
    onStateChange: Events.STATE_CHANGE as EventName<CustomEvent<StateChangeDetail>>,
    onError: Events.ERROR as EventName<CustomEvent<PlayerErrorDetail>>,
    onFailover: Events.FAILOVER as EventName<CustomEvent<FailoverDetail>>,
    onSourceChange: Events.SOURCE_CHANGE as EventName<CustomEvent<SourceChangeDetail>>,
    onWarning: Events.WARNING as EventName<CustomEvent<PlayerWarningDetail>>,
  },
});

/** The props of `LivePlayer`. */
export type LivePlayerProps = React.ComponentProps<typeof LivePlayer>;
