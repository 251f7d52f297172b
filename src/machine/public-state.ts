/**
 * What the element may know of a machine snapshot: the public state, why it was entered,
 * and what to show. Policy: XState types stop here; the element renders this view only, so
 * the machine's sub-states can change without touching the element.
 */
import type { StateChangeReason } from '../constants.js';
import type { PlayerSnapshot } from './player-machine.js';
import type { EndpointRef } from './types.js';

export type { PlayerSnapshot } from './player-machine.js';

/** The machine's top-level states, which are exactly the public states it can be in. */
export type MachineState = 'prelive' | 'primary' | 'fallback' | 'stopped';

export interface PublicView {
  state: MachineState;
  /** Why `state` was entered (`start` until the first change). */
  reason: StateChangeReason;
  /** Failure text behind `reason`, e.g. 'playlist HTTP 404'. */
  cause?: string;
  /** Quiet spinner: the first probe round is out, or the on-screen source has no frame yet. */
  loading: boolean;
  /** The on-screen source has rendered its first frame. */
  playing: boolean;
  /** Which endpoint's <video> should be visible (once it has a frame). */
  onScreen: EndpointRef | null;
  /** The viewer seems offline: the player holds (state and picture) until the network is back. */
  offline: boolean;
}

const STATES: readonly MachineState[] = ['prelive', 'primary', 'fallback', 'stopped'];

export function toPublicView(snapshot: PlayerSnapshot): PublicView {
  const state = STATES.find((s) => snapshot.matches(s)) ?? 'prelive';
  const view: PublicView = {
    state,
    reason: snapshot.context.reason,
    loading: snapshot.hasTag('loading'),
    playing: snapshot.hasTag('playing'),
    onScreen: (state === 'primary' || state === 'fallback') && snapshot.context.onScreen ? { ...snapshot.context.onScreen } : null,
    offline: snapshot.context.offline && state !== 'stopped',
  };
  if (snapshot.context.cause !== undefined) view.cause = snapshot.context.cause;
  return view;
}
