/**
 * Runs the player machine for one <live-player>: validates the configuration, creates the
 * actor with the real sources, turns snapshots into what the element renders, reflects the
 * state on the host (`data-state`) and dispatches `statechange` and `error`.
 * Lifecycle: starts when the host is connected, stops when it is removed (not when it is
 * merely moved: the stop waits a microtask), restarts on a new configuration or `reload()`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { createActor, type Actor } from 'xstate';
import { resolveConfig, type ConfigError } from '../config.js';
import { Attributes, ErrorCodes, Events, Reasons, States, type PlayerState, type StateChangeReason } from '../constants.js';
import { playerMachine, toPublicView } from '../machine/index.js';
import type { SourceDescriptor, SourceRole } from '../machine/types.js';
import { createSourceActors } from '../sources/actors.js';
import { loaderFor } from '../sources/loaders.js';
import { resolveThresholds, type HealthThresholds } from '../sources/thresholds.js';

export interface StateChangeDetail {
  state: PlayerState;
  previous: PlayerState;
  reason: StateChangeReason;
  /** What failed, in words, when the change comes from a failure (e.g. "levelLoadError (HTTP 404)"). */
  cause?: string;
}

export interface PlayerErrorDetail {
  code: ConfigError['code'];
  message: string;
  source: ConfigError['source'];
}

/** What the element needs from its host to run the player. */
export interface PlayerHost extends ReactiveControllerHost, HTMLElement {
  primary: string | null;
  fallback: string | null;
  primaryType: string | null;
  fallbackType: string | null;
  primaryStatus: string | null;
  preferPrimary: boolean;
  thresholds: Partial<HealthThresholds> | null;
  primaryToken: string | null;
  fallbackToken: string | null;
  /** The video that shows this role's source (available after the first render). */
  videoFor(role: SourceRole): Promise<HTMLVideoElement>;
}

export interface PlayerView {
  state: PlayerState;
  reason: StateChangeReason;
  cause?: string;
  /** Waiting for the first answer or the first frame: show a quiet spinner. */
  loading: boolean;
  /** Which source's video is on screen, if any. */
  onScreen: SourceRole | null;
  error: ConfigError | null;
  /** Sound was refused by the browser's autoplay policy: offer "Unmute". */
  autoplayMuted: boolean;
}

const IDLE_VIEW: PlayerView = {
  state: States.IDLE,
  reason: Reasons.START,
  loading: false,
  onScreen: null,
  error: null,
  autoplayMuted: false,
};

type PlayerActor = Actor<typeof playerMachine>;

export class PlayerController implements ReactiveController {
  view: PlayerView = IDLE_VIEW;
  private actor: PlayerActor | null = null;
  /** Why the current actor was started; reported with its first snapshot, then cleared. */
  private pendingReason: StateChangeReason | null = null;

  constructor(private readonly host: PlayerHost) {
    host.addController(this);
  }

  /** Set on connection; the start waits for the first update, so properties that a framework
   * sets right after creating the element are read together with the attributes. */
  private startPending = false;

  hostConnected(): void {
    this.startPending = true;
    this.host.requestUpdate();
  }

  /** Runs inside the update, before render: the first snapshot renders in this same update. */
  hostUpdate(): void {
    if (!this.startPending) return;
    this.startPending = false;
    if (!this.actor && this.view.state !== States.ERROR) this.start(Reasons.START);
  }

  hostDisconnected(): void {
    // A move in the DOM disconnects and reconnects in one task: keep playing through it.
    queueMicrotask(() => {
      if (!this.host.isConnected) this.stop(Reasons.DISCONNECTED);
    });
  }

  /** Starts over at prelive with the current attributes. */
  restart(reason: StateChangeReason): void {
    if (!this.host.isConnected || this.startPending) return;
    this.stopActor();
    this.start(reason);
  }

  private start(reason: StateChangeReason): void {
    const config = resolveConfig(
      {
        primary: this.host.primary,
        fallback: this.host.fallback,
        primaryType: this.host.primaryType,
        fallbackType: this.host.fallbackType,
        primaryStatus: this.host.primaryStatus,
      },
      document.baseURI,
    );
    if (!config.ok) {
      this.fail(config.error);
      return;
    }
    const unplayable = this.unplayable(config.primary, 'primary') ?? this.unplayable(config.fallback, 'fallback');
    if (unplayable) {
      this.fail(unplayable);
      return;
    }

    this.pendingReason = reason;
    // The messages never include the URLs, which may carry tokens.
    for (const warning of config.warnings) console.warn(`<live-player>: ${warning}`);
    const thresholds = resolveThresholds(this.host.thresholds);
    const actors = createSourceActors({
      videoFor: (role) => this.host.videoFor(role),
      thresholds: () => thresholds,
      credentialsFor: (role) => ({ token: role === 'primary' ? this.host.primaryToken : this.host.fallbackToken }),
      onAutoplayMuted: () => this.update({ autoplayMuted: true }),
    });
    const actor = createActor(playerMachine.provide({ actors }), {
      input: {
        primary: config.primary,
        fallback: config.fallback,
        preferPrimary: this.host.preferPrimary,
        timing: {
          backoffBaseMs: thresholds.retryBaseMs,
          backoffCapMs: thresholds.retryCapMs,
          hysteresisMs: thresholds.preferPrimaryAfterMs,
        },
      },
    });
    this.actor = actor;
    this.view = { ...this.view, error: null };
    actor.subscribe((snapshot) => {
      // A stopped actor may still flush a snapshot: only the current one speaks.
      if (this.actor !== actor) return;
      const next = toPublicView(snapshot);
      const reason = this.pendingReason ?? next.reason;
      this.pendingReason = null;
      this.update({ state: next.state, reason, cause: next.cause, loading: next.loading, onScreen: next.onScreen });
    });
    actor.start();
  }

  /** Names a source that no engine here can play, as a configuration error. */
  private unplayable(source: SourceDescriptor | null, role: SourceRole): ConfigError | null {
    if (!source || loaderFor(source, document.createElement('video'))) return null;
    return source.kind === 'whep'
      ? { code: ErrorCodes.WEBRTC_UNSUPPORTED, source: role, message: 'This browser cannot play WebRTC streams.' }
      : { code: ErrorCodes.HLS_UNSUPPORTED, source: role, message: 'This browser cannot play HLS streams.' };
  }

  private fail(error: ConfigError): void {
    this.stopActor();
    this.update({ state: States.ERROR, reason: Reasons.INVALID_CONFIG, cause: error.message, loading: false, onScreen: null, error });
    this.host.dispatchEvent(
      new CustomEvent<PlayerErrorDetail>(Events.ERROR, {
        detail: { code: error.code, message: error.message, source: error.source },
        // Like a media element's `error`: it does not bubble, so page-wide `error`
        // listeners (error trackers, test runners) do not mistake it for a script error.
        bubbles: false,
      }),
    );
  }

  /** The viewer unmuted: the autoplay restriction no longer applies. */
  acknowledgeUnmute(): void {
    this.update({ autoplayMuted: false });
  }

  private stop(reason: StateChangeReason): void {
    this.stopActor();
    this.update({ ...IDLE_VIEW, reason });
  }

  private stopActor(): void {
    const actor = this.actor;
    this.actor = null;
    actor?.stop();
  }

  /** Applies a change to the view; reflects and announces a change of state. */
  private update(change: Partial<PlayerView>): void {
    const previous = this.view;
    this.view = { ...previous, ...change };
    if (this.view.state !== previous.state) {
      if (this.view.state === States.PRELIVE || this.view.state === States.STOPPED || this.view.state === States.ERROR) {
        this.view.autoplayMuted = false;
      }
      this.host.setAttribute(Attributes.DATA_STATE, this.view.state);
      this.host.dispatchEvent(
        new CustomEvent<StateChangeDetail>(Events.STATE_CHANGE, {
          detail: {
            state: this.view.state,
            previous: previous.state,
            reason: this.view.reason,
            ...(this.view.cause ? { cause: this.view.cause } : {}),
          },
          bubbles: true,
          composed: true,
        }),
      );
    }
    this.host.requestUpdate();
  }
}
