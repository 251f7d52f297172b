/**
 * <live-player>: keeps a live stream on screen when its source fails. It renders what the
 * player machine says (through PlayerController) and forwards what the page asks for; it
 * holds no protocol logic.
 */
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { Reasons, States, type PlayerState } from './constants.js';
import { PlayerController, type SourceInfo } from './controller/player-controller.js';
import { ATTRIBUTE_OPTIONS, RESTARTING_OPTIONS, type OptionValues } from './options.js';
import { keyOf, sameEndpoint } from './machine/ladder.js';
import type { EndpointRef } from './machine/types.js';
import type { HealthThresholds } from './policy/thresholds.js';
import { forwardMediaEvents } from './media-events.js';
import { resumeWhenShown } from './resume-when-shown.js';
import { autoplay } from './sources/autoplay.js';
import { stringsFor, type LivePlayerStrings, type StringsOption } from './strings.js';
import { livePlayerStyles } from './styles.js';

export type {
  FailoverDetail,
  PlayerErrorDetail,
  PlayerWarningDetail,
  SourceChangeDetail,
  SourceInfo,
  StateChangeDetail,
} from './controller/player-controller.js';
export type { TokenOption } from './options.js';

/**
 * A live video player that fails over from a primary to a fallback stream and back.
 *
 * @tagname live-player
 *
 * @attr {string} primary - The primary stream: one URL (http or https), or a space-separated list of endpoints of the same stream in order of preference (a ladder: e.g. a WebRTC endpoint, then HLS on two CDNs). A path ending in `.m3u8` is HLS; anything else is a WebRTC (WHEP) endpoint; `primary-type` overrides.
 * @attr {string} fallback - The fallback stream, played while the primary is unavailable: one URL or a space-separated list of its endpoints, like `primary`. Optional.
 * @attr {string} primary-type - How to play the primary's endpoints where the URL does not say: `hls`, `whep` or `auto` (from the URL); one type for all endpoints, or a space-separated list with one per endpoint.
 * @attr {string} fallback-type - The same for the fallback's endpoints.
 * @attr {string} primary-status - Optional status endpoint of the primary stream (asked by its WebRTC endpoints), answering JSON `{"status": "live" | "offline" | "stopped"}`; `stopped` ends the player (`stopped` state) where the WHEP server sends no stop event.
 * @attr {string} poster - Image shown before the stream starts, after it ends and while loading.
 * @attr {boolean} muted - Start without sound. Without it, sound is tried and, if the browser refuses it, playback starts muted with an "Unmute" button.
 * @attr {boolean} controls - Show the browser's video controls.
 * @attr {boolean} prefer-primary - Return from the fallback to the primary once the primary has been healthy for a while (default: stay on a healthy fallback).
 * @attr {'cold' | 'warm'} standby - `warm` keeps the next endpoint in line (the stream's next endpoint, else the other stream's first) connected (WHEP) or loaded at its live edge (HLS) all along, for the shortest switch, at the cost of its bandwidth. Default `cold`: it starts at the first sign of trouble, and is let go if no failure follows.
 * @attr {'idle' | 'prelive' | 'primary' | 'fallback' | 'stopped' | 'error'} data-state - Reflects the current state (read-only; set by the element).
 * @attr {boolean} data-offline - Present while the viewer seems offline (the page says so, or no server answers at all): the player holds its state and picture and retries when the network is back (read-only; set by the element).
 *
 * @fires {CustomEvent<StateChangeDetail>} statechange - The state changed. `detail: {state, previous, reason, cause?}`. Bubbles, composed.
 * @fires {CustomEvent<FailoverDetail>} failover - The picture switched from one endpoint to another (to the other stream, or within one stream's ladder). `detail: {from, to, fromSource, toSource, reason, cause?, detectedAt, switchStartedAt, firstFrameAt, freezeMs}`: `from`/`to` are the streams, `fromSource`/`toSource` the endpoints (as `source`); times in `performance.now()` ms. Bubbles, composed.
 * @fires {CustomEvent<SourceChangeDetail>} sourcechange - The endpoint on screen changed (see `source`): `detail: {source, previous, reason, cause?}`, `source` null when nothing is on screen. Bubbles, composed.
 * @fires {CustomEvent<PlayerWarningDetail>} warning - The sources play, but not as configured: `detail: {code, message, source}`. `fallback-same-as-primary`: a fallback endpoint is also a primary endpoint (compared after URL normalisation) and is ignored; `duplicate-endpoint`: a list names one URL twice; `unsupported-endpoint`: this browser cannot play some endpoints of a list (e.g. WebRTC without RTCPeerConnection), which are skipped. Also logged with `console.warn`. Bubbles, composed.
 * @fires {CustomEvent<PlayerErrorDetail>} error - The configuration cannot be played (no primary, unparsable URL, a scheme other than http/https, an unknown source type or a type list that does not match the endpoints, more than 8 endpoints in a list, no way to play a stream in this browser). `detail: {code, message, source}`. Does not bubble (like a media element's `error`).
 *
 * @slot prelive - Replaces the "The live stream has not started yet" message (shown until the stream has first played; afterwards `prelive` shows the `interrupted` text).
 * @slot stopped - Replaces the "The live stream has ended" message.
 *
 * @csspart video - The video elements, one per endpoint (only the one on screen is visible).
 * @csspart poster - The poster image.
 * @csspart overlay - The layer above the video holding messages and the spinner.
 * @csspart message - The pre-live or stopped message box.
 * @csspart error - The configuration error message box.
 * @csspart offline - The "Connection lost" notice: over the last picture while the viewer seems offline (and the message box, as `message offline`, when there is no picture).
 * @csspart spinner - The loading indicator.
 * @csspart unmute-button - The button shown when the browser started playback muted.
 * @csspart live-badge - The "Live" badge shown while a stream is on screen.
 *
 * @fires play - (and the other media events of the video on screen: loadstart, loadedmetadata, loadeddata, canplay, canplaythrough, playing, pause, waiting, seeking, seeked, timeupdate, durationchange, progress, ratechange, volumechange, resize, ended, emptied) Re-dispatched from the host, so the element can be the media of a media-chrome `<media-controller>`.
 *
 * @cssprop [--live-player-aspect-ratio=16 / 9] - Aspect ratio of the player box.
 * @cssprop [--live-player-background=#000] - Background behind the video.
 * @cssprop [--live-player-color=#fff] - Text colour of messages.
 * @cssprop [--live-player-font=500 1rem/1.4 system-ui, sans-serif] - Font of messages.
 * @cssprop [--live-player-accent=#fff] - Spinner and focus colour.
 * @cssprop [--live-player-message-background=rgb(0 0 0 / 0.6)] - Background of message boxes.
 * @cssprop [--live-player-error-background=rgb(120 0 0 / 0.8)] - Background of the error box.
 * @cssprop [--live-player-badge-background=#c00] - Background of the live badge.
 */
export class LivePlayer extends LitElement implements OptionValues {
  static override styles = livePlayerStyles;

  /**
   * The options that are attributes, with their kind: the embed page's allow-list, read from
   * the element the CDN file defined (one copy of the table, not a second one in the page).
   * @internal
   */
  static readonly attributeOptions = ATTRIBUTE_OPTIONS;

  /** The primary stream's endpoints: a URL, a space-separated list, or an array of URLs. */
  @property({ reflect: false }) primary: string | readonly string[] | null = null;

  /** The fallback stream's endpoints: a URL, a space-separated list, or an array of URLs. */
  @property({ reflect: false }) fallback: string | readonly string[] | null = null;

  /** `'hls'`, `'whep'` or `'auto'` for every primary endpoint, or a list with one per endpoint. */
  @property({ attribute: 'primary-type' }) primaryType: string | readonly string[] | null = null;

  /** `'hls'`, `'whep'` or `'auto'` for every fallback endpoint, or a list with one per endpoint. */
  @property({ attribute: 'fallback-type' }) fallbackType: string | readonly string[] | null = null;

  /**
   * Status endpoint of the primary stream: JSON `{"status": "live" | "offline" | "stopped"}`.
   * Lets the player tell a deliberate stop where the WHEP server sends no events.
   */
  @property({ attribute: 'primary-status' }) primaryStatus: string | null = null;

  /** Image shown while nothing plays. */
  @property() poster: string | null = null;

  /** Start without sound. */
  @property({ type: Boolean, reflect: true }) muted = false;

  /** Show the browser's video controls. */
  @property({ type: Boolean, reflect: true }) controls = false;

  /** Return to the primary once it has been healthy for the hysteresis window. */
  @property({ type: Boolean, attribute: 'prefer-primary' }) preferPrimary = false;

  /** `'warm'` keeps the next endpoint in line ready all along; `'cold'` (the default, also for `null`) starts it at the first sign of trouble. */
  @property() standby: string | null = null;

  /**
   * Failure-detection thresholds and retry pacing (property only), merged over the
   * defaults (`DEFAULT_THRESHOLDS`); detection limits scale with the stream's target
   * duration. Applies from the next start (a change of source or `reload()`).
   */
  @property({ attribute: false }) thresholds: Partial<HealthThresholds> | null = null;

  /**
   * Bearer token sent with the primary's WHEP requests (property only: never an attribute,
   * never rendered, never logged): one string for every WHEP endpoint of the primary, or an
   * array with one entry per endpoint of its list (entries of HLS endpoints are ignored). Read
   * each time a WHEP session or probe is opened, so a refreshed token is used from the next one.
   */
  @property({ attribute: false }) primaryToken: string | readonly (string | null)[] | null = null;

  /** Bearer token(s) sent with the fallback's WHEP requests (property only), like `primaryToken`. */
  @property({ attribute: false }) fallbackToken: string | readonly (string | null)[] | null = null;

  /**
   * Texts shown and announced, over the built-in English: `prelive`, `interrupted`, `offline`,
   * `stopped`, `loading`, `unmute`, `live`, `switchedToBackup`, `backToMain`. Either one set, or one per language
   * (`{ fr: {...}, de: {...} }`) picked by the nearest `lang` attribute.
   */
  @property({ attribute: false }) strings: StringsOption | null = null;

  private videoOf(endpoint: EndpointRef | null): HTMLVideoElement | null {
    if (!endpoint) return null;
    return this.renderRoot?.querySelector<HTMLVideoElement>(`video[data-key="${keyOf(endpoint)}"]`) ?? null;
  }

  private get videos(): HTMLVideoElement[] {
    return [...(this.renderRoot?.querySelectorAll<HTMLVideoElement>('video') ?? [])];
  }

  private readonly player = new PlayerController(this);

  /** The current state: `idle`, `prelive`, `primary`, `fallback`, `stopped` or `error`. */
  get state(): PlayerState {
    return this.player.view.state;
  }

  /**
   * The endpoint on screen: `{ stream, index, url, type }` (`index` is its position in the
   * stream's list), or null when nothing is on screen. Never carries a token.
   */
  get source(): SourceInfo | null {
    return this.player.source;
  }

  /** Starts over at `prelive` with the current sources (also after `stopped`). */
  reload(): void {
    this.player.restart(Reasons.RELOAD);
  }

  /** Paused, as the video on screen is (true when nothing is on screen). */
  get paused(): boolean {
    return this.videoOnScreen?.paused ?? true;
  }

  /** Playback position of the video on screen, in seconds. */
  get currentTime(): number {
    return this.videoOnScreen?.currentTime ?? 0;
  }

  set currentTime(value: number) {
    if (this.videoOnScreen) this.videoOnScreen.currentTime = value;
  }

  /** Duration of the video on screen (Infinity for live streams without a window). */
  get duration(): number {
    return this.videoOnScreen?.duration ?? NaN;
  }

  /** Volume of every video, 0 to 1. */
  get volume(): number {
    return this.videos[0]?.volume ?? 1;
  }

  set volume(value: number) {
    for (const video of this.videos) video.volume = value;
  }

  /** Resumes the video on screen (after a pause by the viewer). */
  async play(): Promise<void> {
    await this.videoOnScreen?.play();
  }

  /** Pauses the video on screen. */
  pause(): void {
    this.videoOnScreen?.pause();
  }

  private get videoOnScreen(): HTMLVideoElement | null {
    return this.videoOf(this.player.view.shown);
  }

  private get texts(): LivePlayerStrings {
    const lang = this.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || navigator.language;
    return stringsFor(lang, this.strings);
  }

  /** The video that was on screen at the last render, to notice a switch. */
  private lastShown: HTMLVideoElement | null = null;
  private stopResuming: (() => void) | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.stopResuming ??= resumeWhenShown(
      this.renderRoot,
      () => this.videoOnScreen,
      () => this.player.markAutoplayMuted(),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopResuming?.();
    this.stopResuming = null;
  }
  /** Videos whose media events are forwarded from the host. */
  private readonly forwarding = new WeakSet<HTMLVideoElement>();

  protected override updated(): void {
    const { autoplayMuted } = this.player.view;
    const shown = this.videoOnScreen;
    // Set on every update, not bound: engines mute a video themselves (autoplay policy), so
    // the element's last rendered value says nothing about the video's current one.
    for (const video of this.videos) {
      video.muted = this.muted || autoplayMuted || video !== shown;
      if (!this.forwarding.has(video)) {
        this.forwarding.add(video);
        forwardMediaEvents(this, video, () => video.hasAttribute('data-visible'));
      }
    }
    if (shown === this.lastShown) return;
    this.lastShown = shown;
    const video = this.videoOnScreen;
    // A video starts muted while hidden (no double audio); once on screen it gets its sound,
    // which the browser may refuse without a gesture (it pauses the video): then play on
    // muted and offer "Unmute", never a dead picture.
    if (video && !video.muted) {
      void autoplay(
        video,
        () => this.player.markAutoplayMuted(),
        () => this.videoOnScreen === video,
      );
    }
  }

  /** @internal */
  async videoFor(endpoint: EndpointRef): Promise<HTMLVideoElement> {
    await this.updateComplete;
    const video = this.videoOf(endpoint);
    if (!video) throw new Error('the player is not rendered');
    return video;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The first update starts with these values (see PlayerController): only later changes restart.
    const restart = RESTARTING_OPTIONS.some((name) => changed.has(name) && changed.get(name) !== undefined);
    if (restart) this.player.restart(Reasons.CONFIG_CHANGED);
  }

  private unmute(): void {
    this.muted = false;
    this.player.acknowledgeUnmute();
  }

  private renderVideo(endpoint: EndpointRef) {
    const visible = sameEndpoint(this.player.view.shown, endpoint);
    return html`<video
      part="video"
      data-role=${endpoint.role}
      data-key=${keyOf(endpoint)}
      ?data-visible=${visible}
      ?controls=${this.controls && visible}
      playsinline
      disablepictureinpicture
      aria-hidden=${visible ? 'false' : 'true'}
    ></video>`;
  }

  private renderMessage(texts: LivePlayerStrings) {
    const { state, loading, error, shown, offline, hasPlayed } = this.player.view;
    if (state === States.ERROR && error) {
      return html`<div part="error" role="alert">${error.message}</div>`;
    }
    // The viewer's own network: never "not started" for that (the notice part says it over a picture).
    if (offline && !shown) {
      return html`<div part="message offline" role="status">${texts.offline}</div>`;
    }
    // While an old picture covers a switch, no spinner: the viewer sees no interruption.
    if (loading && !shown) {
      return html`<div part="spinner" role="progressbar" aria-label=${texts.loading}></div>`;
    }
    if (state === States.PRELIVE && hasPlayed) {
      return html`<div part="message" role="status">${texts.interrupted}</div>`;
    }
    if (state === States.PRELIVE) {
      return html`<div part="message" role="status"><slot name="prelive">${texts.prelive}</slot></div>`;
    }
    if (state === States.STOPPED) {
      return html`<div part="message" role="status"><slot name="stopped">${texts.stopped}</slot></div>`;
    }
    return nothing;
  }

  protected override render() {
    const { autoplayMuted, shown, notice, offline } = this.player.view;
    const texts = this.texts;
    const showPoster = this.poster && !shown;
    const playing = shown !== null;
    return html`
      ${this.player.endpoints.map((endpoint) => this.renderVideo(endpoint))}
      ${showPoster ? html`<img part="poster" src=${this.poster!} alt="" />` : nothing}
      <div part="overlay">${this.renderMessage(texts)}</div>
      ${offline && shown ? html`<div part="offline" role="status">${texts.offline}</div>` : nothing}
      ${playing ? html`<span part="live-badge">${texts.live}</span>` : nothing}
      ${
        playing && autoplayMuted && !this.muted
          ? html`<button part="unmute-button" type="button" @click=${this.unmute}>${texts.unmute}</button>`
          : nothing
      }
      <div class="visually-hidden" role="status" aria-live="polite">${notice ? texts[notice] : ''}</div>
    `;
  }
}
