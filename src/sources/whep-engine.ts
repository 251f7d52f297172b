/**
 * WebRTC over WHEP: one endpoint played into one <video>.
 *
 * Detection. The source fails when the POST is refused or unreachable, when no first frame
 * arrives within `whepStartupTimeoutMs`, when the server's `inactive` event says the publisher
 * is gone, and when the connection breaks and cannot be repaired (below); without a repair,
 * as before: `failed` at once, `disconnected` for longer than `disconnectedGraceMs`, or no new
 * video frame for `frameStallMs` while connected (a dead publisher changes neither ICE nor the
 * connection state; only getStats tells). `inactive` with `{"reason":"stopped"}` is a
 * deliberate stop, and so is `stopped` from the source's status endpoint (asked every 2 s
 * while playing).
 *
 * Repair (the viewer's network changing under a session). What starts a repair episode, once
 * the session has shown a picture: the connection going `disconnected` or `failed`; media that
 * stops arriving altogether (no new frame and no RTP packet for 20 % of `frameStallMs`: a dead
 * path, or a dead publisher, which only the repair tells apart); a network change the browser
 * reports (`navigator.connection` `change` with a new connection `type`, or `online`) while
 * the picture stalls or the connection is not `connected` (without a type, a bare `change` is
 * only a new bandwidth estimate). What it tries, once each per episode: an ICE restart
 * (PATCH, RFC 8840 sdpfrag, `If-Match: *`); if the server cannot (405/501/422, 404, or any
 * other failure), a new session on the same endpoint, make before break. When it gives up:
 * no frame again within `disconnectedGraceMs` of the episode's start; a restart that went
 * through but brought no RTP packet within `frameStallMs` (the path works: the publisher is
 * gone); a new session the server refuses. Then the source fails as it would have without the
 * repair. How often: at most REPAIRS_PER_MINUTE episodes a minute; beyond that, failures are
 * reported at once. The SUSPECT sent when trouble starts lets the machine warm the next
 * endpoint meanwhile (make before break across endpoints too).
 *
 * Server-directed reconnect (SSE extension `reconnect`): a new session at the event's `url`
 * (resolved against the endpoint; http(s) only; the bearer token goes only to the same
 * origin, as fetch drops Authorization on a cross-origin redirect), or at the same endpoint
 * without one, make before break. If it shows no frame within `whepStartupTimeoutMs` it is
 * dropped and the old session plays on. At most RECONNECTS_PER_MINUTE; a server asking more
 * often fails the endpoint.
 *
 * Make before break inside the engine: a new session is opened beside the one on screen and
 * its tracks replace the old ones inside the one MediaStream the <video> plays, once its
 * getStats shows a decoded frame; the old session is closed (DELETE) only then. (Setting a new
 * srcObject reloads the element and shows black for a frame; replacing tracks does not.)
 *
 * Every session is DELETEd: a replaced one at once, a new one that is not used at once, the
 * one on screen when the engine is destroyed, whatever ended it (after a failure it lingers
 * only to keep its last frame). Whose fault (for the ladder): the server's `inactive` is the
 * stream's own (the publisher is gone); a session whose ICE never connected is this viewer's
 * path to the endpoint (UDP blocked); everything else, including frames that stop without a
 * word from the server (a dead server and a dead publisher look alike), is the endpoint's.
 */
import { autoplay } from './autoplay.js';
import type { FailureScope } from '../machine/types.js';
import type { Engine, EngineFactory } from './engine.js';
import { STATUS_POLL_MS } from '../policy/thresholds.js';
import { judgingClock } from './judging-clock.js';
import { loadRestartCode, openWhepSession, SSE_EXTENSION_REL, WhepRefusedError, type WhepSession } from './whep-session.js';

/** getStats is cheap next to what a late suspicion costs: a WebRTC picture has no buffer. */
const CHECK_EVERY_MS = 100;
/** Share of the frame-stall limit without a new frame that is a suspicion (200 ms of the default 1 s). */
const SUSPECT_SHARE = 0.2;
/** Repair episodes (ICE restart, then perhaps a new session) per rolling minute. */
const REPAIRS_PER_MINUTE = 3;
/** Server-directed reconnects per rolling minute before the endpoint counts as failed. */
const RECONNECTS_PER_MINUTE = 3;
const MINUTE_MS = 60_000;

interface MediaCounts {
  frames: number;
  packets: number;
}

async function mediaCounts(pc: RTCPeerConnection): Promise<MediaCounts> {
  let frames = 0;
  let packets = 0;
  (await pc.getStats()).forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'video') {
      frames += report.framesDecoded ?? 0;
      packets += report.packetsReceived ?? 0;
    }
  });
  return { frames, packets };
}

/** At most `perMinute` takes in any rolling minute. */
function rateLimit(perMinute: number) {
  const taken: number[] = [];
  return (now: number): boolean => {
    while (taken.length && now - taken[0] >= MINUTE_MS) taken.shift();
    if (taken.length >= perMinute) return false;
    taken.push(now);
    return true;
  };
}

/** What the Network Information API offers, where the browser has it. */
interface NetworkInformationLike extends EventTarget {
  type?: string;
}

/** A session the engine holds: on screen, or opened to take its place. */
interface Held {
  session: WhepSession;
  url: string;
  token: string | null | undefined;
  /** Every track it delivers (in the screen's MediaStream while it is on screen). */
  tracks: MediaStreamTrack[];
  /** Ends what belongs to this session only (its server-sent events). */
  events: AbortController;
  frames: number;
  packets: number;
  lastFrameAt: number;
  lastPacketAt: number;
}

interface Episode {
  reason: string;
  startedAt: number;
  /** When the ICE restart's answer was applied. */
  through: number | null;
  /** What was tried, for the failure's cause. */
  tried: string[];
  timer: ReturnType<typeof setTimeout>;
}

interface Replacement {
  purpose: 'repair' | 'reconnect';
  /** Dropped if it has no frame by then (reconnect; a repair ends with its episode). */
  deadline: number;
  held: Held | null;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export const createWhepEngine: EngineFactory = (context) => {
  const { video, thresholds } = context;
  const ending = new AbortController();
  /** The one MediaStream the <video> plays; sessions' tracks come and go inside it. */
  const screen = new MediaStream();
  let current: Held | null = null;
  let replacement: Replacement | null = null;
  let episode: Episode | null = null;
  let settled = false;
  let destroyed = false;
  let firstFrame = false;
  let suspected = false;
  /** ICE and DTLS got through once: a later failure is not this viewer's path. */
  let everConnected = false;
  let disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  let checkTimer: ReturnType<typeof setInterval> | undefined;
  let statusTimer: ReturnType<typeof setInterval> | undefined;
  const mayRepair = rateLimit(REPAIRS_PER_MINUTE);
  const mayReconnect = rateLimit(RECONNECTS_PER_MINUTE);
  let startedAt = performance.now();
  /** A hidden or throttled page is judged from when it wakes up (judging-clock.ts). */
  const clock = judgingClock(CHECK_EVERY_MS);
  const networkInfo = (navigator as Navigator & { connection?: NetworkInformationLike }).connection;
  let networkType = networkInfo?.type;

  const alive = () => !settled && !destroyed;

  const release = (held: Held | null | undefined) => {
    if (!held) return;
    held.events.abort();
    held.session.close();
  };

  const dropReplacement = () => {
    const dropped = replacement;
    replacement = null;
    release(dropped?.held);
  };

  const endEpisode = () => {
    if (episode) clearTimeout(episode.timer);
    episode = null;
  };

  const stopWatching = () => {
    clearTimeout(disconnectedTimer);
    clearInterval(checkTimer);
    clock.stop();
    clearInterval(statusTimer);
    endEpisode();
    dropReplacement();
    current?.events.abort();
    networkInfo?.removeEventListener('change', onNetworkChange);
    removeEventListener('online', onNetworkChange);
    ending.abort();
  };

  // A failed session keeps its peer connection until destroy(): its last frame stays on
  // screen until the next source has a picture (closing it now would show black).
  const quiet = () => {
    if (!alive()) return false;
    settled = true;
    stopWatching();
    return true;
  };
  const fail = (cause: string, scope: FailureScope = 'endpoint', network = false) => {
    if (quiet()) context.send({ type: 'SOURCE.FAILED', cause, scope, ...(network || !navigator.onLine ? { network: true } : {}) });
  };
  const stop = (cause: string) => {
    if (quiet()) context.send({ type: 'SOURCE.STOPPED', cause });
  };
  /** Never connected: the viewer's path (ICE/DTLS) to this endpoint, not the endpoint. */
  const connectionScope = (): FailureScope => (everConnected ? 'endpoint' : 'path');

  const hold = (session: WhepSession, url: string, token: string | null | undefined): Held => {
    const now = performance.now();
    const held: Held = {
      session,
      url,
      token,
      tracks: [],
      events: new AbortController(),
      frames: 0,
      packets: 0,
      lastFrameAt: now,
      lastPacketAt: now,
    };
    const add = (track: MediaStreamTrack) => {
      if (!held.tracks.includes(track)) held.tracks.push(track);
      if (held === current && !screen.getTracks().includes(track)) screen.addTrack(track);
    };
    for (const receiver of session.pc.getReceivers()) add(receiver.track);
    session.pc.addEventListener('track', (event) => add(event.track));
    watchConnection(held);
    return held;
  };

  // ---------------------------------------------------------------------------------------
  // Repair

  const startEpisode = (reason: string): boolean => {
    if (episode) return true;
    if (!alive() || !current || !firstFrame || !everConnected) return false;
    const now = performance.now();
    if (!mayRepair(now)) return false;
    clearTimeout(disconnectedTimer);
    const started: Episode = {
      reason,
      startedAt: now,
      through: null,
      tried: [],
      timer: setTimeout(() => {
        if (episode !== started || !alive() || !current) return;
        const tried = started.tried.length ? started.tried.join(' and ') : 'nothing';
        fail(
          `no video frames for ${seconds(performance.now() - current.lastFrameAt)}: WebRTC connection lost (${reason}; ${tried} did not bring the picture back within ${seconds(thresholds.disconnectedGraceMs)})`,
        );
      }, thresholds.disconnectedGraceMs),
    };
    episode = started;
    void repair(started, current);
    return true;
  };

  const repair = async (started: Episode, held: Held) => {
    started.tried.push('an ICE restart');
    const result = await held.session.restartIce();
    if (episode !== started || held !== current || !alive()) return;
    if (result.ok) {
      started.through = performance.now();
      return;
    }
    // The server cannot restart ICE (405/501/422), has lost the session (404), or did not
    // answer: a new session on the same endpoint in its place, make before break.
    started.tried.push(`a new session (the restart: ${result.cause})`);
    replace('repair', held.url, held.token, performance.now() + thresholds.disconnectedGraceMs, started);
  };

  const onNetworkChange = () => {
    if (!alive() || !current || !firstFrame) return;
    const type = networkInfo?.type;
    const typeChanged = type !== undefined && type !== networkType;
    networkType = type;
    const troubled = suspected || current.session.pc.connectionState !== 'connected';
    if (typeChanged || troubled) startEpisode(typeChanged ? `the network changed to ${type}` : 'the network changed');
  };

  // ---------------------------------------------------------------------------------------
  // Sessions beside the one on screen

  const replace = (
    purpose: Replacement['purpose'],
    url: string,
    token: string | null | undefined,
    deadline: number,
    forEpisode?: Episode,
  ) => {
    if (replacement || !alive()) return;
    const pending: Replacement = { purpose, deadline, held: null };
    replacement = pending;
    void (async () => {
      let opened: WhepSession;
      try {
        opened = await openWhepSession(url, { token, signal: ending.signal, timeoutMs: context.limits.requestTimeoutMs });
      } catch (error) {
        if (replacement !== pending) return;
        replacement = null;
        // A server that answers "no" to a new session will not bring the picture back: the
        // repair gives up at once. Unreachable: the network may still be settling, so the
        // episode's deadline decides. A refused reconnect keeps the old session.
        const refused = error instanceof WhepRefusedError && error.status !== undefined;
        if (purpose === 'repair' && forEpisode && episode === forEpisode && refused && current) {
          fail(
            `WebRTC connection lost (${forEpisode.reason}); ICE restart impossible and a new session refused: ${(error as Error).message}`,
          );
        }
        return;
      }
      if (replacement !== pending || !alive()) {
        opened.close();
        return;
      }
      pending.held = hold(opened, url, token);
    })();
  };

  /** The replacement has a decoded frame: its tracks take the old ones' place on screen. */
  const promote = (next: Held, counts: MediaCounts, now: number) => {
    const old = current;
    replacement = null;
    current = next;
    for (const track of next.tracks) if (!screen.getTracks().includes(track)) screen.addTrack(track);
    for (const track of old?.tracks ?? []) if (!next.tracks.includes(track)) screen.removeTrack(track);
    next.frames = counts.frames;
    next.packets = counts.packets;
    next.lastFrameAt = now;
    next.lastPacketAt = now;
    suspected = false;
    everConnected = true;
    clearTimeout(disconnectedTimer);
    endEpisode();
    release(old);
    void listenToServer(next);
    if (video.paused) void autoplay(video, context.onAutoplayMuted, alive);
  };

  // ---------------------------------------------------------------------------------------
  // Watching

  const watchConnection = (held: Held) => {
    const { pc } = held.session;
    pc.addEventListener('connectionstatechange', () => {
      if (!alive()) return;
      const state = pc.connectionState;
      if (held !== current) {
        if (replacement?.held === held && state === 'failed') dropReplacement();
        return;
      }
      if (state === 'connected') {
        everConnected = true;
        clearTimeout(disconnectedTimer);
        return;
      }
      if (state !== 'disconnected' && state !== 'failed') return;
      if (state === 'failed' && !everConnected) {
        fail('WebRTC connection failed (ICE/DTLS never connected)', 'path');
        return;
      }
      context.send({ type: 'SOURCE.SUSPECT', cause: `WebRTC connection ${state}` });
      if (startEpisode(`connection ${state}`)) return;
      if (state === 'failed') fail('WebRTC connection failed');
      else {
        clearTimeout(disconnectedTimer);
        disconnectedTimer = setTimeout(() => fail('WebRTC connection lost'), thresholds.disconnectedGraceMs);
      }
    });
  };

  const checkMedia = async () => {
    const held = current;
    if (!held) return;
    const next = replacement?.held ?? null;
    const [counts, nextCounts] = await Promise.all([mediaCounts(held.session.pc), next ? mediaCounts(next.session.pc) : null]);
    if (!alive() || held !== current) return;
    const now = performance.now();
    if (next && nextCounts && replacement?.held === next && nextCounts.frames > 0) {
      promote(next, nextCounts, now);
      return;
    }
    if (replacement && replacement.purpose === 'reconnect' && now > replacement.deadline) dropReplacement();

    if (counts.packets > held.packets) {
      held.packets = counts.packets;
      held.lastPacketAt = now;
    }
    if (counts.frames > held.frames) {
      if (!firstFrame) {
        firstFrame = true;
        context.send({ type: 'SOURCE.FIRST_FRAME' });
        // The server's events matter once there is a picture to lose (and their code loads
        // after it); a session that never shows a frame is failed by the startup limit anyway.
        // So does the ICE restart's code, before the network it would be fetched over changes.
        void listenToServer(held);
        loadRestartCode().catch(() => {
          // Tried again at the restart; without it, a repair opens a new session instead.
        });
      }
      held.frames = counts.frames;
      held.lastFrameAt = now;
      suspected = false;
      if (episode && held.session.pc.connectionState === 'connected') {
        endEpisode();
        if (replacement?.purpose === 'repair') dropReplacement();
      }
      return;
    }
    if (!clock.fresh(now)) {
      // Asleep in a hidden or throttled page: the time spent there says nothing about the source.
      startedAt = now;
      held.lastFrameAt = now;
      held.lastPacketAt = now;
      return;
    }
    if (!firstFrame) {
      if (now - startedAt > thresholds.whepStartupTimeoutMs) {
        const why = everConnected ? '' : ' (ICE/DTLS never connected)';
        fail(`no picture within ${thresholds.whepStartupTimeoutMs / 1000} s${why}`, connectionScope());
      }
      return;
    }
    const quietFor = now - held.lastFrameAt;
    if (episode) {
      // The restart went through (the server answered), yet nothing arrives: the path works,
      // the publisher does not.
      if (episode.through !== null && !replacement && now - Math.max(held.lastPacketAt, episode.through) > thresholds.frameStallMs) {
        fail(`no video frames for ${seconds(quietFor)} (an ICE restart got through, but no media followed)`);
      }
      return;
    }
    const suspicion = thresholds.frameStallMs * SUSPECT_SHARE;
    if (quietFor > suspicion) {
      if (!suspected) {
        // Frames come every 33 ms at 30 fps: six missing ones are worth warming the next
        // endpoint for (a false alarm costs a warm-up, let go after a quiet window).
        suspected = true;
        context.send({ type: 'SOURCE.SUSPECT', cause: 'video frames stalling' });
      }
      // Not a single packet either: the path (or the publisher) is gone; try the path first.
      if (now - held.lastPacketAt > suspicion && startEpisode('no media arriving')) return;
    }
    if (quietFor > thresholds.frameStallMs && held.session.pc.connectionState === 'connected') {
      fail(`no video frames for ${seconds(quietFor)}`);
    }
  };

  const watchMedia = () => {
    let checking = false;
    checkTimer = setInterval(async () => {
      if (checking || !alive()) return;
      checking = true;
      try {
        await checkMedia();
      } finally {
        checking = false;
      }
    }, CHECK_EVERY_MS);
  };

  const listenToServer = async (held: Held) => {
    const link = held.session.links.find((candidate) => candidate.rel === SSE_EXTENSION_REL);
    if (!link) return;
    const { subscribeWhepEvents } = await import('./whep-events.js');
    if (!alive() || held !== current) return;
    void subscribeWhepEvents(
      link,
      held.token,
      {
        onEvent(name, data) {
          if (!alive() || held !== current) return;
          if (name === 'inactive') {
            const stopped = (data as { reason?: unknown } | null)?.reason === 'stopped';
            if (stopped) stop('the server says the stream was stopped');
            else fail('the server says the publisher is inactive', 'stream');
          } else if (name === 'reconnect') {
            reconnect(held, data);
          }
        },
      },
      held.events.signal,
    );
  };

  /** The server asks for a new session, at its `url` or the same endpoint (make before break). */
  const reconnect = (held: Held, data: unknown) => {
    if (!mayReconnect(performance.now())) {
      fail(`the server asked the player to reconnect more than ${RECONNECTS_PER_MINUTE} times in a minute`);
      return;
    }
    if (replacement) return; // already opening a new session
    let url = held.url;
    let token = held.token;
    const target = (data as { url?: unknown } | null)?.url;
    if (typeof target === 'string' && target) {
      try {
        const resolved = new URL(target, held.url);
        if (resolved.protocol === 'https:' || resolved.protocol === 'http:') {
          url = resolved.href;
          token = sameOrigin(url, held.url) ? held.token : null;
        }
      } catch {
        // Not a URL: reconnect at the same endpoint, which the event allows anyway.
      }
    }
    replace('reconnect', url, token, performance.now() + thresholds.whepStartupTimeoutMs);
  };

  const watchStatus = (statusUrl: string) => {
    let asking = false;
    statusTimer = setInterval(async () => {
      if (asking || !alive()) return;
      asking = true;
      const { fetchStatus } = await import('./status-endpoint.js');
      const status = await fetchStatus(statusUrl, context.limits.requestTimeoutMs, ending.signal);
      asking = false;
      if (status === 'stopped') stop('the status endpoint says the stream was stopped');
    }, STATUS_POLL_MS);
  };

  void (async () => {
    const url = context.source.url;
    const token = context.credentials?.token;
    let opened: WhepSession;
    try {
      opened = await openWhepSession(url, { token, signal: ending.signal, timeoutMs: context.limits.requestTimeoutMs });
    } catch (error) {
      fail((error as Error).message, 'endpoint', error instanceof WhepRefusedError && error.network);
      return;
    }
    if (!alive()) {
      opened.close();
      return;
    }
    const held = hold(opened, url, token);
    current = held;
    for (const track of held.tracks) screen.addTrack(track);
    video.srcObject = screen;
    watchMedia();
    if (context.source.statusUrl) watchStatus(context.source.statusUrl);
    networkInfo?.addEventListener('change', onNetworkChange);
    addEventListener('online', onNetworkChange);
    void autoplay(video, context.onAutoplayMuted, alive);
  })();

  const engine: Engine = {
    destroy() {
      if (destroyed) return;
      destroyed = true;
      stopWatching();
      release(current);
      video.srcObject = null;
    },
  };
  return engine;
};
