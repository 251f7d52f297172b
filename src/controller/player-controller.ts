/**
 * Runs the player machine for one <live-player>: validates the configuration, creates the
 * actor with the real sources, turns snapshots into what the element renders, reflects the
 * state on the host (`data-state`) and dispatches `statechange`, `failover` and `error`.
 * Make before break: the video on screen (`shown`) changes only when the machine's source
 * has a frame; until then the old video keeps its picture (its engine lingers in the pool).
 * Lifecycle: starts when the host is connected, stops when it is removed (not when it is
 * merely moved: the stop waits a microtask), restarts on a new configuration or `reload()`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { createActor, type Actor } from 'xstate';
import { resolveConfig, type ConfigError, type ConfigWarning } from '../config.js';
import { Attributes, ErrorCodes, Events, Reasons, States, type PlayerState, type StateChangeReason } from '../constants.js';
import { playerMachine, toPublicView } from '../machine/index.js';
import type { SourceDescriptor, SourceRole } from '../machine/types.js';
import { createSourceActors } from '../sources/actors.js';
import type { EnginePool } from '../sources/engine-pool.js';
import { FrameClock } from './frame-clock.js';
import { loaderFor } from '../sources/loaders.js';
import { resolveThresholds, type HealthThresholds } from '../sources/thresholds.js';

export interface StateChangeDetail {
  state: PlayerState;
  previous: PlayerState;
  reason: StateChangeReason;
  /** What failed, in words, when the change comes from a failure (e.g. "levelLoadError (HTTP 404)"). */
  cause?: string;
}

/** A switch of the picture from one source to the other, for the page's analytics. */
export interface FailoverDetail {
  from: SourceRole;
  to: SourceRole;
  /** Why: the `reason` of the state change behind the switch. */
  reason: StateChangeReason;
  cause?: string;
  /** When the player decided to leave `from` (performance.now() ms). */
  detectedAt: number;
  /** When `to` started loading (before `detectedAt` when it was warming). */
  switchStartedAt: number;
  /** When `to` decoded its first frame. */
  firstFrameAt: number;
  /** Longest time the viewer saw no new frame across the switch, in ms. */
  freezeMs: number;
}

export interface PlayerErrorDetail {
  code: ConfigError['code'];
  message: string;
  source: ConfigError['source'];
}

export interface PlayerWarningDetail {
  code: ConfigWarning['code'];
  message: string;
  source: ConfigWarning['source'];
}

/** What the element needs from its host to run the player. */
export interface PlayerHost extends ReactiveControllerHost, HTMLElement {
  primary: string | null;
  fallback: string | null;
  primaryType: string | null;
  fallbackType: string | null;
  primaryStatus: string | null;
  preferPrimary: boolean;
  standby: string | null;
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
  /** Which source the machine plays (its video is shown once it has a frame). */
  onScreen: SourceRole | null;
  /** Which video is on screen now: the old one keeps its picture until the new one has a frame. */
  shown: SourceRole | null;
  error: ConfigError | null;
  /** Sound was refused by the browser's autoplay policy: offer "Unmute". */
  autoplayMuted: boolean;
  /** What to announce politely after a switch of the picture, if anything. */
  notice: 'switchedToBackup' | 'backToMain' | null;
}

const IDLE_VIEW: PlayerView = {
  state: States.IDLE,
  reason: Reasons.START,
  loading: false,
  onScreen: null,
  shown: null,
  error: null,
  autoplayMuted: false,
  notice: null,
};

type PlayerActor = Actor<typeof playerMachine>;

export class PlayerController implements ReactiveController {
  view: PlayerView = IDLE_VIEW;
  private actor: PlayerActor | null = null;
  private pool: EnginePool | null = null;
  private readonly frames = new FrameClock();
  /** When the current state was entered (performance.now()). */
  private stateChangedAt = 0;
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
    for (const warning of config.warnings) {
      console.warn(`<live-player>: ${warning.message}`);
      this.host.dispatchEvent(
        new CustomEvent<PlayerWarningDetail>(Events.WARNING, {
          detail: { code: warning.code, message: warning.message, source: warning.source },
          bubbles: true,
          composed: true,
        }),
      );
    }
    const thresholds = resolveThresholds(this.host.thresholds);
    const { actors, pool } = createSourceActors({
      videoFor: async (role) => {
        const video = await this.host.videoFor(role);
        this.frames.track(video);
        return video;
      },
      thresholds: () => thresholds,
      credentialsFor: (role) => ({ token: role === 'primary' ? this.host.primaryToken : this.host.fallbackToken }),
      onAutoplayMuted: () => this.markAutoplayMuted(),
      onEngineGone: (role) => {
        if (this.pool === pool && this.view.shown === role) this.update({ shown: null });
      },
    });
    this.pool = pool;
    const actor = createActor(playerMachine.provide({ actors }), {
      input: {
        primary: config.primary,
        fallback: config.fallback,
        preferPrimary: this.host.preferPrimary,
        standby: this.host.standby === 'warm' ? 'warm' : 'cold',
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
      this.syncShown(next.playing);
    });
    actor.start();
  }

  /** Shows the machine's source once it has a frame; nothing at all outside primary/fallback. */
  private syncShown(playing: boolean): void {
    const { onScreen, shown } = this.view;
    if (!onScreen) {
      // Nothing live, or stopped: no engine may linger (no network at all).
      this.pool?.destroyIdle();
      if (shown || this.view.notice) this.update({ shown: null, notice: null });
      return;
    }
    if (!playing || shown === onScreen) return;
    if (!shown) {
      this.update({ shown: onScreen });
      return;
    }
    this.update({ shown: onScreen, notice: onScreen === 'fallback' ? 'switchedToBackup' : 'backToMain' });
    void this.announceFailover(shown, onScreen);
  }

  private async announceFailover(from: SourceRole, to: SourceRole): Promise<void> {
    const actor = this.actor;
    const pool = this.pool;
    const detectedAt = this.stateChangedAt;
    const { reason, cause } = this.view;
    const [oldVideo, newVideo] = await Promise.all([this.host.videoFor(from), this.host.videoFor(to)]);
    const lastOldFrame = this.frames.lastPresentedAt(oldVideo) ?? detectedAt;
    // The first frame the viewer sees from the new source, now that its video is visible.
    const firstSeen = await this.frames.nextFrame(newVideo);
    if (this.actor !== actor) return;
    const detail: FailoverDetail = {
      from,
      to,
      reason,
      ...(cause ? { cause } : {}),
      detectedAt,
      switchStartedAt: Math.min(pool?.startedAt(to) ?? detectedAt, detectedAt),
      firstFrameAt: firstSeen,
      freezeMs: Math.max(0, Math.round(firstSeen - lastOldFrame)),
    };
    this.host.dispatchEvent(new CustomEvent<FailoverDetail>(Events.FAILOVER, { detail, bubbles: true, composed: true }));
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

  /** The browser refused sound: playback goes on muted, with an "Unmute" button. */
  markAutoplayMuted(): void {
    this.update({ autoplayMuted: true });
  }

  /** The viewer unmuted: the autoplay restriction no longer applies. */
  acknowledgeUnmute(): void {
    this.update({ autoplayMuted: false });
  }

  private stop(reason: StateChangeReason): void {
    this.stopActor();
    this.frames.stop();
    this.update({ ...IDLE_VIEW, reason });
  }

  private stopActor(): void {
    const actor = this.actor;
    this.actor = null;
    actor?.stop();
    this.pool?.destroyAll();
    this.pool = null;
    if (this.view.shown) this.view = { ...this.view, shown: null };
  }

  /** Applies a change to the view; reflects and announces a change of state. */
  private update(change: Partial<PlayerView>): void {
    const previous = this.view;
    this.view = { ...previous, ...change };
    if (this.view.state !== previous.state) {
      this.stateChangedAt = performance.now();
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
