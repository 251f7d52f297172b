/**
 * HLS through hls.js (MediaSource). hls.js itself arrives by a dynamic import (loaders.ts)
 * and is handed in: this module only imports its types.
 *
 * Policy: hls.js retries each playlist or segment request `requestRetries` times after
 * `retryDelayMs`, with time-to-first-byte and load deadlines of `requestTimeoutTargetDurations`
 * target durations; its fatal error is a failure. On top of hls.js, which never gives up on
 * a frozen playlist or hung segments, the engine fails the source when the playlist has not
 * advanced for `frozenPlaylistTargetDurations` target durations, or when the playhead stops
 * for the stall limit. A non-fatal error, a playlist unchanged for 2 target durations or
 * a playhead stalled for half the limit is only a suspicion (the machine warms the other
 * source; it does not switch) — until the buffer runs dry under suspicion: less than
 * `BUFFER_EXHAUSTED_S` ahead while suspected is a failure, so the switch happens before the
 * picture freezes rather than after the stall limit. Before the first frame there is no
 * picture to protect: a suspicion that no fragment clears within the stall limit is a
 * failure (hung or corrupt segments would otherwise hold the screen until the startup
 * limit, even after the origin is back). #EXT-X-ENDLIST is a stop.
 * Segments tagged #EXT-X-GAP ahead of the playhead (RFC 8216bis: the packager has no media
 * for them) are a suspicion of the stream's own; when the playhead reaches them the buffer
 * runs dry under that suspicion, which fails the stream (before the picture freezes).
 * Whose fault (for the ladder): a playlist that keeps loading but stops advancing is the
 * stream's own (the encoder died); everything else (HTTP errors, timeouts, CORS, hung or
 * corrupt segments, a playlist that no longer loads) is the endpoint's (one CDN).
 * After its first failure or stop the engine stops loading and reports nothing more.
 */
import type HlsClass from 'hls.js';
import type { ErrorData, LevelLoadedData, LevelUpdatedData } from 'hls.js';
import { autoplay } from './autoplay.js';
import type { FailureScope } from '../machine/types.js';
import type { Engine, EngineFactory } from './engine.js';
import { GSTREAMER_STARTUP_SEEK_DELAY_MS, gstreamerWebKit, holdStartupSeeks } from './gstreamer-seek-hold.js';
import { judgingClock, type JudgingClock } from './judging-clock.js';
import { watchPlayback } from './playback-watchdog.js';
import { limitsFor } from '../policy/thresholds.js';

const CHECK_EVERY_MS = 250;
/** Seconds of buffer ahead below which a suspected source is failed before it freezes. */
const BUFFER_EXHAUSTED_S = 0.5;

/** Seconds of media buffered ahead of the playhead. */
function bufferAhead(video: HTMLVideoElement): number {
  const { buffered, currentTime } = video;
  for (let i = 0; i < buffered.length; i += 1) {
    if (buffered.start(i) <= currentTime + 0.1 && currentTime < buffered.end(i)) return buffered.end(i) - currentTime;
  }
  return 0;
}

/**
 * A network error that no server answered (no HTTP status, and not a timeout: a request that
 * hangs did reach something): offline, refused, DNS, CORS.
 */
function isNetworkLevel(data: ErrorData): boolean {
  return data.type === 'networkError' && !data.response?.code && !/TimeOut$/.test(data.details);
}

function describeError(data: ErrorData): string {
  const status = data.response?.code;
  return status ? `${data.details} (HTTP ${status})` : data.details;
}

export const createHlsEngine =
  (Hls: typeof HlsClass): EngineFactory =>
  (context) => {
    const { video, thresholds } = context;
    let limits = context.limits;
    let settled = false;
    let destroyed = false;

    const policy = (loadMs: number) => ({
      default: {
        maxTimeToFirstByteMs: limits.requestTimeoutMs,
        maxLoadTimeMs: loadMs,
        timeoutRetry: { maxNumRetry: thresholds.requestRetries, retryDelayMs: 0, maxRetryDelayMs: 0 },
        errorRetry: {
          maxNumRetry: thresholds.requestRetries,
          retryDelayMs: thresholds.retryDelayMs,
          maxRetryDelayMs: thresholds.retryDelayMs * 2,
        },
      },
    });

    const hls = new Hls({
      manifestLoadPolicy: policy(limits.requestTimeoutMs),
      playlistLoadPolicy: policy(limits.requestTimeoutMs),
      fragLoadPolicy: policy(Math.max(limits.requestTimeoutMs, 2 * limits.targetDurationMs)),
      backBufferLength: 30,
    });

    /**
     * Reports a failure once, then goes quiet but keeps the last frame on screen. `network`: no
     * server answered (or the page is offline): maybe the viewer's network, not the endpoint.
     */
    const fail = (cause: string, scope: FailureScope = 'endpoint', network = false) => {
      if (settled || destroyed) return;
      quiet();
      context.send({ type: 'SOURCE.FAILED', cause, scope, ...(network || !navigator.onLine ? { network: true } : {}) });
    };
    const stop = (cause: string) => {
      if (settled || destroyed) return;
      quiet();
      context.send({ type: 'SOURCE.STOPPED', cause });
    };
    const quiet = () => {
      settled = true;
      stopWatching();
      clearInterval(frozenTimer);
      clock?.stop();
      hls.stopLoad();
    };
    /** Starts (or restarts) the engine's own judges: the playlist clock and the playback watchdog. */
    const judge = () => {
      clock = judgingClock(CHECK_EVERY_MS);
      frozenTimer = setInterval(checkPlaylist, CHECK_EVERY_MS);
      stopWatching = watchPlayback({
        video,
        limits: () => limits,
        onFirstFrame: () => {
          firstFrameSeen = true;
          if (!destroyed && !settled) context.send({ type: 'SOURCE.FIRST_FRAME' });
        },
        onStalled: (cause) => fail(cause),
        onSuspect: suspect,
      });
    };

    let lastEnd = -1;
    let lastAdvanceAt = performance.now();
    /** When a playlist last loaded at all: stale but loading is the encoder, not loading is the CDN. */
    let lastLoadAt = -Infinity;
    let staleReported = false;
    let firstFrameSeen = false;
    /** The latest suspicion, cleared when the playlist advances and a fragment buffers again. */
    let suspicion: { cause: string; scope: FailureScope } | null = null;
    /** When the current suspicion began. */
    let suspectedAt = 0;
    const suspect = (cause: string, scope: FailureScope = 'endpoint') => {
      if (destroyed || settled) return;
      if (suspicion === null) suspectedAt = performance.now();
      suspicion = { cause, scope };
      context.send({ type: 'SOURCE.SUSPECT', cause, scope });
    };
    /** Playlists loaded since the last advance: a CDN that hangs can answer one early reload, not two. */
    let loadsSinceAdvance = 0;
    /**
     * Stale yet still loading (reloaded twice without news, the last one recently): the encoder,
     * the stream's own failure. One recent load is not enough: a playlist reloaded just before a
     * segment's publication and then hung on its CDN looks like that too, and is the endpoint's.
     */
    const loadingButStale = () => loadsSinceAdvance >= 2 && performance.now() - lastLoadAt < 2 * limits.targetDurationMs;
    /** From now on: a playlist advanced, the engine resumed, or the page woke up. */
    const restartStaleClock = () => {
      lastAdvanceAt = performance.now();
      loadsSinceAdvance = 0;
    };
    const onPlaylist = (_event: string, data: LevelLoadedData | LevelUpdatedData) => {
      if (destroyed || settled) return;
      const { details } = data;
      if (!details.live) {
        stop('playlist has #EXT-X-ENDLIST');
        return;
      }
      lastLoadAt = performance.now();
      if (details.targetduration > 0 && details.targetduration * 1000 !== limits.targetDurationMs) {
        limits = limitsFor(thresholds, details.targetduration * 1000);
      }
      if (details.endSN > lastEnd) {
        lastEnd = details.endSN;
        restartStaleClock();
        staleReported = false;
      } else loadsSinceAdvance += 1;
      // Said again on every update while gaps lie ahead: a fragment that buffers meanwhile must not clear it.
      // The playlist's own #EXT-X-GAP tags only: hls.js also sets `gap` on a fragment it could not
      // parse (corrupt bytes on one CDN), which is that endpoint's fault, not the stream's.
      if (details.fragments.some((fragment) => fragment.end > video.currentTime && fragment.tagList.some(([tag]) => tag === 'GAP'))) {
        suspect('#EXT-X-GAP segments ahead', 'stream');
      }
    };

    const checkPlaylist = () => {
      if (!clock?.fresh()) {
        // Asleep in a hidden or throttled page: judge the playlist from when it wakes up.
        restartStaleClock();
        suspectedAt = lastAdvanceAt;
        return;
      }
      const silentMs = performance.now() - lastAdvanceAt;
      if (silentMs > limits.frozenPlaylistMs) {
        const seconds = Math.round(silentMs / 100) / 10;
        if (lastEnd < 0) fail(`no playlist within ${seconds} s`);
        else if (loadingButStale()) fail(`playlist not advancing for ${seconds} s`, 'stream');
        else fail(`no playlist for ${seconds} s`);
      } else if (!staleReported && lastEnd >= 0 && silentMs > 2 * limits.targetDurationMs) {
        staleReported = true;
        suspect('playlist stale', loadingButStale() ? 'stream' : 'endpoint');
      } else if (suspicion && firstFrameSeen && !video.paused && bufferAhead(video) < BUFFER_EXHAUSTED_S) {
        fail(`buffer exhausted (${suspicion.cause})`, suspicion.scope);
      } else if (suspicion && !firstFrameSeen && performance.now() - suspectedAt > limits.stallMs) {
        fail(`no picture: ${suspicion.cause}`, suspicion.scope);
      }
    };
    let frozenTimer: ReturnType<typeof setInterval> | undefined;
    let clock: JudgingClock | undefined;
    let stopWatching = () => {};

    hls.on(Hls.Events.LEVEL_LOADED, onPlaylist);
    hls.on(Hls.Events.LEVEL_UPDATED, onPlaylist);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (destroyed || settled) return;
      if (data.fatal) fail(describeError(data), 'endpoint', isNetworkLevel(data));
      else if (!startingUpOnGStreamer(data)) suspect(describeError(data));
    });
    /**
     * WebKitGTK/WPE before the first frame: a stall is its pipeline starting behind the held
     * start-up seek (hls.js sees a playhead that does not move), not the source. Taken for a
     * suspicion, it warmed the other stream at every start. The start-up limit still fails a
     * start that never shows a frame.
     */
    const startingUpOnGStreamer = (data: ErrorData) =>
      startupSeeks !== null && !firstFrameSeen && data.details === 'bufferStalledError';
    // A fragment that arrives and buffers clears a suspicion of the segment path.
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      if (performance.now() - lastAdvanceAt < limits.targetDurationMs * 2) suspicion = null;
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (destroyed || settled) return;
      void autoplay(video, context.onAutoplayMuted, () => !destroyed && !settled);
    });

    // WebKitGTK/WPE: no seek while GStreamer's pipeline starts (gstreamer-seek-hold.ts).
    const startupSeeks = gstreamerWebKit() ? holdStartupSeeks(video, GSTREAMER_STARTUP_SEEK_DELAY_MS) : null;
    if (startupSeeks) hls.once(Hls.Events.FRAG_BUFFERED, () => startupSeeks.start());

    judge();
    hls.attachMedia(video);
    hls.loadSource(context.source.url);

    const engine: Engine = {
      resume() {
        if (destroyed || !settled) return false;
        // From the live edge again, on the same media: the buffer and the picture stay.
        settled = false;
        suspicion = null;
        staleReported = false;
        restartStaleClock();
        judge();
        hls.startLoad(-1);
        return true;
      },
      destroy() {
        if (destroyed) return;
        destroyed = true;
        startupSeeks?.dispose();
        stopWatching();
        clearInterval(frozenTimer);
        clock?.stop();
        hls.destroy();
        video.removeAttribute('src');
        video.load();
      },
    };
    return engine;
  };
