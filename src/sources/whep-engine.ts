/**
 * WebRTC over WHEP. Policy: one session per engine, never renegotiated. The source fails
 * when the POST is refused or unreachable, when the connection is `failed` (at once) or
 * `disconnected` for longer than `disconnectedGraceMs`, when no new video frame is decoded
 * for `frameStallMs` while connected (a dead publisher changes neither ICE nor connection
 * state; only getStats tells), when no first frame arrives within `whepStartupTimeoutMs`, or
 * when the server's `inactive` event says the publisher is gone. `inactive` with
 * `{"reason":"stopped"}` is a deliberate stop, and so is `stopped` from the source's status
 * endpoint (asked every 2 s while playing). The session is DELETEd when the engine is
 * destroyed, whatever ended it (after a failure it lingers only to keep its last frame).
 * Whose fault (for the ladder): the server's `inactive` is the stream's own (the publisher
 * is gone); a session whose ICE never connected is this viewer's path to the endpoint (UDP
 * blocked); everything else, including frames that stop without a word from the server (a
 * dead server and a dead publisher look alike), is the endpoint's.
 */
import { autoplay } from './autoplay.js';
import type { FailureScope } from '../machine/types.js';
import type { Engine, EngineFactory } from './engine.js';
import { STATUS_POLL_MS } from '../policy/thresholds.js';
import { openWhepSession, SSE_EXTENSION_REL, WhepRefusedError, type WhepSession } from './whep-session.js';

/** getStats is cheap next to what a late suspicion costs: a WebRTC picture has no buffer. */
const CHECK_EVERY_MS = 100;
/** Share of the frame-stall limit without a new frame that is a suspicion (200 ms of the default 1 s). */
const SUSPECT_SHARE = 0.2;

async function framesDecoded(pc: RTCPeerConnection): Promise<number> {
  let frames = 0;
  (await pc.getStats()).forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'video') frames += report.framesDecoded ?? 0;
  });
  return frames;
}

export const createWhepEngine: EngineFactory = (context) => {
  const { video, thresholds } = context;
  const ending = new AbortController();
  let session: WhepSession | null = null;
  let settled = false;
  let destroyed = false;
  let disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  let checkTimer: ReturnType<typeof setInterval> | undefined;
  let onFirstFrame = () => {};
  let statusTimer: ReturnType<typeof setInterval> | undefined;
  /** ICE and DTLS got through once: a later failure is not this viewer's path. */
  let everConnected = false;

  const stopWatching = () => {
    clearTimeout(disconnectedTimer);
    clearInterval(checkTimer);
    clearInterval(statusTimer);
    ending.abort();
  };

  // A failed session keeps its peer connection until destroy(): its last frame stays on
  // screen until the next source has a picture (closing it now would show black).
  const quiet = () => {
    if (settled || destroyed) return false;
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

  const watchConnection = (pc: RTCPeerConnection) => {
    pc.addEventListener('connectionstatechange', () => {
      if (settled || destroyed) return;
      const state = pc.connectionState;
      if (state === 'failed') fail(everConnected ? 'WebRTC connection failed' : 'WebRTC connection failed (ICE/DTLS never connected)', connectionScope());
      else if (state === 'disconnected') {
        context.send({ type: 'SOURCE.SUSPECT', cause: 'WebRTC connection disconnected' });
        clearTimeout(disconnectedTimer);
        disconnectedTimer = setTimeout(() => fail('WebRTC connection lost'), thresholds.disconnectedGraceMs);
      } else if (state === 'connected') {
        everConnected = true;
        clearTimeout(disconnectedTimer);
      }
    });
  };

  const watchFrames = (pc: RTCPeerConnection) => {
    const startedAt = performance.now();
    let lastFrames = 0;
    let lastFrameAt = startedAt;
    let suspected = false;
    let checking = false;
    checkTimer = setInterval(async () => {
      if (checking || settled || destroyed) return;
      checking = true;
      try {
        const frames = await framesDecoded(pc);
        if (settled || destroyed) return;
        const now = performance.now();
        if (frames > lastFrames) {
          if (lastFrames === 0) {
            context.send({ type: 'SOURCE.FIRST_FRAME' });
            onFirstFrame();
          }
          lastFrames = frames;
          lastFrameAt = now;
          suspected = false;
        } else if (lastFrames === 0 && now - startedAt > thresholds.whepStartupTimeoutMs) {
          const why = everConnected ? '' : ' (ICE/DTLS never connected)';
          fail(`no picture within ${thresholds.whepStartupTimeoutMs / 1000} s${why}`, connectionScope());
        } else if (lastFrames > 0 && pc.connectionState === 'connected' && now - lastFrameAt > thresholds.frameStallMs) {
          fail(`no video frames for ${Math.round((now - lastFrameAt) / 100) / 10} s`);
        } else if (lastFrames > 0 && !suspected && now - lastFrameAt > thresholds.frameStallMs * SUSPECT_SHARE) {
          // Frames come every 33 ms at 30 fps: six missing ones are worth warming the next
          // endpoint for (a false alarm costs a warm-up, let go after a quiet window).
          suspected = true;
          context.send({ type: 'SOURCE.SUSPECT', cause: 'video frames stalling' });
        }
      } finally {
        checking = false;
      }
    }, CHECK_EVERY_MS);
  };

  const listenToServer = async (opened: WhepSession) => {
    const link = opened.links.find((candidate) => candidate.rel === SSE_EXTENSION_REL);
    if (!link) return;
    const { subscribeWhepEvents } = await import('./whep-events.js');
    if (settled || destroyed) return;
    void subscribeWhepEvents(
      link,
      context.credentials?.token,
      {
        onEvent(name, data) {
          if (name === 'inactive') {
            const stopped = (data as { reason?: unknown } | null)?.reason === 'stopped';
            if (stopped) stop('the server says the stream was stopped');
            else fail('the server says the publisher is inactive', 'stream');
          } else if (name === 'reconnect') {
            fail('the server asked the player to reconnect');
          }
        },
      },
      ending.signal,
    );
  };

  const watchStatus = (statusUrl: string) => {
    let asking = false;
    statusTimer = setInterval(async () => {
      if (asking || settled || destroyed) return;
      asking = true;
      const { fetchStatus } = await import('./status-endpoint.js');
      const status = await fetchStatus(statusUrl, context.limits.requestTimeoutMs, ending.signal);
      asking = false;
      if (status === 'stopped') stop('the status endpoint says the stream was stopped');
    }, STATUS_POLL_MS);
  };

  void (async () => {
    let opened: WhepSession;
    try {
      opened = await openWhepSession(context.source.url, {
        token: context.credentials?.token,
        signal: ending.signal,
        timeoutMs: context.limits.requestTimeoutMs,
      });
    } catch (error) {
      fail((error as Error).message, 'endpoint', error instanceof WhepRefusedError && error.network);
      return;
    }
    if (settled || destroyed) {
      opened.close();
      return;
    }
    session = opened;
    const stream = new MediaStream();
    const addTrack = (track: MediaStreamTrack) => {
      if (!stream.getTracks().includes(track)) stream.addTrack(track);
    };
    for (const receiver of opened.pc.getReceivers()) addTrack(receiver.track);
    opened.pc.addEventListener('track', (event) => addTrack(event.track));
    video.srcObject = stream;
    watchConnection(opened.pc);
    watchFrames(opened.pc);
    if (context.source.statusUrl) watchStatus(context.source.statusUrl);
    // The server's events matter once there is a picture to lose (and their code loads after
    // it); a session that never shows a frame is failed by the startup limit anyway.
    onFirstFrame = () => void listenToServer(opened);
    void autoplay(video, context.onAutoplayMuted, () => !destroyed && !settled);
  })();

  const engine: Engine = {
    destroy() {
      if (destroyed) return;
      destroyed = true;
      stopWatching();
      session?.close();
      video.srcObject = null;
    },
  };
  return engine;
};
