/**
 * Runs the player machine for one <live-player>: validates the configuration, creates the
 * actor with the real sources, turns snapshots into what the element renders, reflects the
 * state on the host (`data-state`) and dispatches `statechange`, `sourcechange`, `failover`,
 * `warning` and `error`.
 * Make before break: the video on screen (`shown`) changes only when the machine's endpoint
 * has a frame; until then the old video keeps its picture (its engine lingers in the pool).
 * Lifecycle: starts when the host is connected, stops when it is removed (not when it is
 * merely moved: the stop waits a microtask), restarts on a new configuration or `reload()`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { createActor, type Actor } from 'xstate';
import { resolveConfig, type ConfigError, type ConfigWarning } from '../config.js';
import {
  Attributes,
  ErrorCodes,
  Events,
  Reasons,
  States,
  WarningCodes,
  type PlayerState,
  type StateChangeReason,
} from '../constants.js';
import { playerMachine, sameEndpoint, toPublicView } from '../machine/index.js';
import type { EndpointRef, SourceDescriptor, SourceRole } from '../machine/types.js';
import type { OptionValues, TokenOption } from '../options.js';
import { resolveThresholds } from '../policy/thresholds.js';
import { createSourceActors } from '../sources/actors.js';
import type { EnginePool } from '../sources/engine-pool.js';
import { loaderFor } from '../sources/loaders.js';
import { FrameClock } from './frame-clock.js';

export interface StateChangeDetail {
  state: PlayerState;
  previous: PlayerState;
  reason: StateChangeReason;
  /** What failed, in words, when the change comes from a failure (e.g. "levelLoadError (HTTP 404)"). */
  cause?: string;
}

/** An endpoint as the page sees it: which stream, which entry of its list, what is played. No token. */
export interface SourceInfo {
  stream: SourceRole;
  /** Position in the page's list for that stream (0-based). */
  index: number;
  url: string;
  type: SourceDescriptor['kind'];
}

/** The endpoint on screen changed (within a stream, or to the other stream). */
export interface SourceChangeDetail {
  source: SourceInfo | null;
  previous: SourceInfo | null;
  /** Why: the machine's reason for the change (e.g. `primary-failed`, `primary-recovered`). */
  reason: StateChangeReason;
  cause?: string;
}

/** A switch of the picture from one endpoint to another, for the page's analytics. */
export interface FailoverDetail {
  /** The streams: equal when the switch stayed within one stream's ladder. */
  from: SourceRole;
  to: SourceRole;
  /** The endpoints. */
  fromSource: SourceInfo;
  toSource: SourceInfo;
  /** Why: the machine's reason for the switch. */
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

/** What the element needs from its host to run the player: its options (src/options.ts), and its videos. */
export interface PlayerHost extends ReactiveControllerHost, HTMLElement, OptionValues {
  /** The video that shows this endpoint (available after the render that lists it). */
  videoFor(endpoint: EndpointRef): Promise<HTMLVideoElement>;
}

export interface PlayerView {
  state: PlayerState;
  reason: StateChangeReason;
  cause?: string;
  /** Waiting for the first answer or the first frame: show a quiet spinner. */
  loading: boolean;
  /** Which endpoint the machine plays (its video is shown once it has a frame). */
  onScreen: EndpointRef | null;
  /** Which video is on screen now: the old one keeps its picture until the new one has a frame. */
  shown: EndpointRef | null;
  error: ConfigError | null;
  /** Sound was refused by the browser's autoplay policy: offer "Unmute". */
  autoplayMuted: boolean;
  /** What to announce politely after a switch of the picture, if anything. */
  notice: 'switchedToBackup' | 'backToMain' | null;
  /** The viewer seems offline: the player holds its state and picture (`data-offline`). */
  offline: boolean;
  /** A stream has been on screen since these sources were set: `prelive` now means interrupted. */
  hasPlayed: boolean;
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
  offline: false,
  hasPlayed: false,
};

type PlayerActor = Actor<typeof playerMachine>;
type Ladders = Record<SourceRole, SourceDescriptor[]>;

/** The token of the entry at `position` of a stream's list. */
function tokenAt(option: TokenOption, position: number): string | null {
  if (typeof option === 'string') return option;
  return option?.[position] ?? null;
}

export class PlayerController implements ReactiveController {
  view: PlayerView = IDLE_VIEW;
  /** The endpoints of the running configuration, each with a <video> of its own. */
  endpoints: EndpointRef[] = [];
  private ladders: Ladders = { primary: [], fallback: [] };
  /** Each endpoint's position in the page's list (entries this browser cannot play are left out). */
  private positions: Record<SourceRole, number[]> = { primary: [], fallback: [] };
  private actor: PlayerActor | null = null;
  private pool: EnginePool | null = null;
  private readonly frames = new FrameClock();
  /**
   * When the machine chose to leave the endpoint shown, and why (kept while candidates are
   * tried until one shows: the `failover` event reports the decision to leave, not the last).
   */
  private leaving: { at: number; reason: StateChangeReason; cause?: string } | null = null;
  /** Why the current actor was started; reported with its first snapshot, then cleared. */
  private pendingReason: StateChangeReason | null = null;

  /** `createActors`: the machine's effects (default: the real sources; unit tests give fakes). */
  constructor(
    private readonly host: PlayerHost,
    private readonly createActors: typeof createSourceActors = createSourceActors,
  ) {
    host.addController(this);
  }

  /** Set on connection; the start waits for the first update, so properties that a framework
   * sets right after creating the element are read together with the attributes. */
  private startPending = false;

  hostConnected(): void {
    this.startPending = true;
    this.listenToNetwork();
    this.host.requestUpdate();
  }

  /**
   * The page's word on the viewer's network: `offline` holds the player, `online` (and a
   * change of network, where the browser reports it) retries at once. Listeners live while
   * the host is connected.
   */
  private networkListeners: AbortController | null = null;

  private listenToNetwork(): void {
    if (this.networkListeners) return;
    const listening = new AbortController();
    this.networkListeners = listening;
    const tell = (type: 'VIEWER.OFFLINE' | 'VIEWER.ONLINE') => this.actor?.send({ type });
    addEventListener('offline', () => tell('VIEWER.OFFLINE'), { signal: listening.signal });
    addEventListener('online', () => tell('VIEWER.ONLINE'), { signal: listening.signal });
    const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
    connection?.addEventListener('change', () => navigator.onLine && tell('VIEWER.ONLINE'), { signal: listening.signal });
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
      if (this.host.isConnected) return;
      this.networkListeners?.abort();
      this.networkListeners = null;
      this.stop(Reasons.DISCONNECTED);
    });
  }

  /** Starts over at prelive with the current attributes. */
  restart(reason: StateChangeReason): void {
    if (!this.host.isConnected || this.startPending) return;
    this.stopActor(reason);
    this.start(reason);
  }

  /** The endpoint shown now, as the page sees it. */
  get source(): SourceInfo | null {
    return this.infoOf(this.view.shown);
  }

  private infoOf(endpoint: EndpointRef | null): SourceInfo | null {
    const descriptor = endpoint && this.ladders[endpoint.role][endpoint.index];
    if (!endpoint || !descriptor) return null;
    return {
      stream: endpoint.role,
      index: this.positions[endpoint.role][endpoint.index] ?? endpoint.index,
      url: descriptor.url,
      type: descriptor.kind,
    };
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
    const warnings = [...config.warnings];
    const playable = this.playableLadders({ primary: config.primary, fallback: config.fallback }, warnings);
    if (!playable.ok) {
      this.fail(playable.error);
      return;
    }
    this.ladders = playable.ladders;
    this.positions = playable.positions;
    this.endpoints = (['primary', 'fallback'] as const).flatMap((role) => this.ladders[role].map((_, index) => ({ role, index })));

    this.pendingReason = reason;
    // The messages never include the URLs, which may carry tokens.
    for (const warning of warnings) {
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
    const { actors, pool } = this.createActors({
      videoFor: async (endpoint) => {
        const video = await this.host.videoFor(endpoint);
        this.frames.track(video);
        return video;
      },
      thresholds: () => thresholds,
      credentialsFor: (endpoint) => ({
        token: tokenAt(
          endpoint.role === 'primary' ? this.host.primaryToken : this.host.fallbackToken,
          this.positions[endpoint.role][endpoint.index] ?? endpoint.index,
        ),
      }),
      onAutoplayMuted: () => this.markAutoplayMuted(),
      onEngineGone: (endpoint) => {
        if (this.pool === pool && sameEndpoint(this.view.shown, endpoint)) this.update({ shown: null });
      },
    });
    this.pool = pool;
    const { retryBaseMs, retryCapMs, preferPrimaryAfterMs, failoverSpreadMs, reconnectJitterMs } = thresholds;
    const actor = createActor(playerMachine.provide({ actors }), {
      input: {
        primary: this.ladders.primary,
        fallback: this.ladders.fallback,
        preferPrimary: this.host.preferPrimary,
        standby: this.host.standby === 'warm' ? 'warm' : 'cold',
        timing: { retryBaseMs, retryCapMs, preferPrimaryAfterMs, failoverSpreadMs, reconnectJitterMs },
      },
    });
    this.actor = actor;
    // New sources: nothing of them has played yet. A reload keeps the page's history.
    this.view = { ...this.view, error: null, hasPlayed: reason === Reasons.RELOAD && this.view.hasPlayed };
    actor.subscribe((snapshot) => {
      // A stopped actor may still flush a snapshot: only the current one speaks.
      if (this.actor !== actor) return;
      const next = toPublicView(snapshot);
      const reason = this.pendingReason ?? next.reason;
      this.pendingReason = null;
      this.update({
        state: next.state,
        reason,
        cause: next.cause,
        loading: next.loading,
        onScreen: next.onScreen,
        offline: next.offline,
      });
      this.syncShown(next.playing);
    });
    actor.start();
    if (!navigator.onLine) actor.send({ type: 'VIEWER.OFFLINE' });
  }

  /**
   * Leaves out the endpoints that no engine in this browser can play (a WebRTC endpoint where
   * there is no RTCPeerConnection: the ladder's HLS endpoint plays instead), with a warning;
   * a stream with none left is a configuration error.
   */
  private playableLadders(
    ladders: Ladders,
    warnings: ConfigWarning[],
  ): { ok: true; ladders: Ladders; positions: Record<SourceRole, number[]> } | { ok: false; error: ConfigError } {
    const probeVideo = document.createElement('video');
    const result = {
      ladders: { primary: [], fallback: [] } as Ladders,
      positions: { primary: [], fallback: [] } as Record<SourceRole, number[]>,
    };
    for (const role of ['primary', 'fallback'] as const) {
      ladders[role].forEach((descriptor, position) => {
        if (!loaderFor(descriptor, probeVideo)) return;
        result.ladders[role].push(descriptor);
        result.positions[role].push(position);
      });
      const dropped = ladders[role].filter((descriptor) => !loaderFor(descriptor, probeVideo));
      if (!dropped.length) continue;
      if (!result.ladders[role].length) {
        const whep = dropped[0]!.kind === 'whep';
        return {
          ok: false,
          error: whep
            ? { code: ErrorCodes.WEBRTC_UNSUPPORTED, source: role, message: 'This browser cannot play WebRTC streams.' }
            : { code: ErrorCodes.HLS_UNSUPPORTED, source: role, message: 'This browser cannot play HLS streams.' },
        };
      }
      warnings.push({
        code: WarningCodes.UNSUPPORTED_ENDPOINT,
        source: role,
        message: `This browser cannot play ${dropped.length === 1 ? 'one endpoint' : `${dropped.length} endpoints`} of the ${role}; the others play.`,
      });
    }
    return { ok: true, ...result };
  }

  /** Shows the machine's endpoint once it has a frame; nothing at all outside primary/fallback. */
  private syncShown(playing: boolean): void {
    const { onScreen, shown } = this.view;
    if (!onScreen) {
      // Nothing live, or stopped: no engine may linger (no network at all).
      this.pool?.destroyIdle();
      if (shown || this.view.notice) this.update({ shown: null, notice: null });
      return;
    }
    if (!playing || sameEndpoint(shown, onScreen)) return;
    if (!shown) {
      this.update({ shown: onScreen, hasPlayed: true });
      return;
    }
    // Within one stream the viewer sees the same stream: nothing to announce.
    const notice = shown.role === onScreen.role ? this.view.notice : onScreen.role === 'fallback' ? 'switchedToBackup' : 'backToMain';
    const leaving = this.leaving;
    this.update({ shown: onScreen, notice });
    this.leaving = leaving;
    // A video gone meanwhile (new sources in the same update): no event, and nothing unhandled.
    this.announceFailover(shown, onScreen).catch(() => {});
  }

  private async announceFailover(from: EndpointRef, to: EndpointRef): Promise<void> {
    const actor = this.actor;
    const pool = this.pool;
    const {
      at: detectedAt,
      reason,
      cause,
    } = this.leaving ?? { at: performance.now(), reason: this.view.reason, cause: this.view.cause };
    this.leaving = null;
    const fromSource = this.infoOf(from)!;
    const toSource = this.infoOf(to)!;
    const [oldVideo, newVideo] = await Promise.all([this.host.videoFor(from), this.host.videoFor(to)]);
    const lastOldFrame = this.frames.lastPresentedAt(oldVideo) ?? detectedAt;
    // The first frame the viewer sees from the new endpoint, now that its video is visible.
    const firstSeen = await this.frames.nextFrame(newVideo);
    if (this.actor !== actor) return;
    const detail: FailoverDetail = {
      from: from.role,
      to: to.role,
      fromSource,
      toSource,
      reason,
      ...(cause ? { cause } : {}),
      detectedAt,
      switchStartedAt: Math.min(pool?.startedAt(to) ?? detectedAt, detectedAt),
      firstFrameAt: firstSeen,
      freezeMs: Math.max(0, Math.round(firstSeen - lastOldFrame)),
    };
    this.host.dispatchEvent(new CustomEvent<FailoverDetail>(Events.FAILOVER, { detail, bubbles: true, composed: true }));
  }

  private fail(error: ConfigError): void {
    this.stopActor(Reasons.INVALID_CONFIG);
    this.endpoints = [];
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
    this.stopActor(reason);
    this.frames.stop();
    this.update({ ...IDLE_VIEW, reason });
  }

  /** Ends the running actor and its engines; the picture goes, for `reason`. */
  private stopActor(reason: StateChangeReason): void {
    const actor = this.actor;
    this.actor = null;
    actor?.stop();
    this.pool?.destroyAll();
    this.pool = null;
    if (this.view.shown) this.update({ shown: null, reason, cause: undefined });
  }

  /** Applies a change to the view; reflects and announces a change of state or of the endpoint shown. */
  private update(change: Partial<PlayerView>): void {
    const previous = this.view;
    this.view = { ...previous, ...change };
    const { onScreen, shown } = this.view;
    if (!shown || sameEndpoint(onScreen, shown)) this.leaving = null;
    else if (!this.leaving) this.leaving = { at: performance.now(), reason: this.view.reason, cause: this.view.cause };
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
    if (this.view.offline !== previous.offline) this.host.toggleAttribute(Attributes.DATA_OFFLINE, this.view.offline);
    if (!sameEndpoint(this.view.shown, previous.shown) && (this.view.shown || previous.shown)) {
      this.host.dispatchEvent(
        new CustomEvent<SourceChangeDetail>(Events.SOURCE_CHANGE, {
          detail: {
            source: this.infoOf(this.view.shown),
            previous: this.infoOf(previous.shown),
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
