/**
 * One WHEP session (draft-ietf-wish-whep): a receive-only offer POSTed as application/sdp,
 * `201 Created` with the answer and a `Location`, and a `DELETE` on that Location when the
 * session ends, however it ends. ICE servers come from `Link: <…>; rel="ice-server"`.
 * The server may instead answer `406 Not Acceptable` with its own offer (the draft's
 * counter-offer, `Content-Type: application/sdp` and the session's `Location`): the player
 * answers it on a fresh peer connection and PATCHes the answer (`application/sdp`) to that
 * Location, within the offer's `valid-until` (30 s without one).
 * An established session can restart ICE: a PATCH with an RFC 8840 sdpfrag holding the new
 * ufrag/pwd and candidates, `If-Match: *`; `200` brings the server's own fragment (applied as
 * the new remote description) and a new ETag; anything else rolls the restart back and is
 * reported, for the caller to open a new session instead.
 * Policy: no trickle ICE (the offer and a restart's fragment wait for gathering, at most
 * `gatherTimeoutMs`); no retry here: `409`/`503` and their `Retry-After` are returned as "not
 * live yet" and the caller's backoff decides; a restart is one PATCH, and only the answer to
 * the latest one is applied. The bearer token goes in the Authorization header only (every
 * request to the endpoint and the session); it is never logged nor put in the DOM. Sessions
 * still open when the page is hidden for good (`pagehide`: navigation, closed tab, removed
 * iframe) are closed then.
 */
import { parseRetryAfter } from './retry-after.js';

export const SSE_EXTENSION_REL = 'urn:ietf:params:whep:ext:core:server-sent-events';

/**
 * The SDP-fragment code an ICE restart needs, out of the page's first download: the engine
 * loads it once there is a picture (a restart comes when the network is changing, not the
 * moment to fetch code). A failed load makes the restart fail, and the caller's fallback runs.
 */
let sdpfrag: Promise<typeof import('./whep-sdpfrag.js')> | null = null;
export function loadRestartCode(): Promise<typeof import('./whep-sdpfrag.js')> {
  sdpfrag ??= import('./whep-sdpfrag.js').catch((error: unknown) => {
    sdpfrag = null;
    throw error;
  });
  return sdpfrag;
}

/** The draft's lifetime of a counter-offer without `valid-until`. */
const COUNTER_OFFER_VALID_MS = 30_000;

export interface WhepLink {
  url: string;
  rel: string;
  params: Record<string, string>;
}

export type IceRestartResult =
  | { ok: true }
  /** Rolled back; `status` is the PATCH's HTTP status when there was an answer. */
  | { ok: false; cause: string; status?: number };

export interface WhepSession {
  pc: RTCPeerConnection;
  /** Absolute URL of the session resource. */
  location: string;
  /** The endpoint the session was opened on. */
  endpoint: string;
  links: WhepLink[];
  /** The server's entity-tag of the current ICE session (from the 201, then each restart). */
  etag: string | null;
  /** Set up by the server's 406 counter-offer (the server offered, the player answered). */
  counterOffer: boolean;
  /** ICE restart through PATCH (see above). One at a time; a second call waits for nothing and fails. */
  restartIce(): Promise<IceRestartResult>;
  /** Ends the session: closes the peer connection and DELETEs the resource. Idempotent. */
  close(): void;
}

export class WhepRefusedError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    /** No server answered at all (offline, refused, DNS): maybe the viewer's own network. */
    readonly network = false,
  ) {
    super(message);
  }
}

export interface WhepSessionOptions {
  token?: string | null;
  signal?: AbortSignal;
  /** Deadline of the POST (and of each PATCH), in ms. */
  timeoutMs: number;
  gatherTimeoutMs?: number;
  /** A probe: a 406 counter-offer counts as an answer and is not completed (the caller closes the session at once). */
  probe?: boolean;
}

/** Parses `Link` headers (RFC 8288) into URL, rel and parameters. */
export function parseLinks(header: string | null, baseUrl: string): WhepLink[] {
  if (!header) return [];
  const links: WhepLink[] = [];
  const pattern = /<([^>]*)>((?:\s*;\s*[^;,=]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g;
  for (const match of header.matchAll(pattern)) {
    const params: Record<string, string> = {};
    for (const param of match[2].matchAll(/;\s*([^;,=\s]+)(?:=(?:"([^"]*)"|([^;,]*)))?/g)) {
      params[param[1].toLowerCase()] = (param[2] ?? param[3] ?? '').trim();
    }
    let url: string;
    try {
      // ICE server URLs (stun:, turn:) are not http URLs: keep them as they are.
      url = /^(stuns?|turns?):/i.test(match[1]) ? match[1] : new URL(match[1], baseUrl).href;
    } catch {
      continue;
    }
    links.push({ url, rel: params.rel ?? '', params });
  }
  return links;
}

export function iceServersFrom(links: WhepLink[]): RTCIceServer[] {
  return links
    .filter((link) => link.rel === 'ice-server')
    .map((link) => ({
      urls: link.url,
      ...(link.params.username ? { username: link.params.username } : {}),
      ...(link.params.credential ? { credential: link.params.credential } : {}),
    }));
}

function authHeaders(token?: string | null): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    };
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    // Host candidates are enough on most networks; do not wait forever for slow STUN/TURN.
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

/**
 * Gathering of a restart's new candidates. Set up before the restart offer is applied: right
 * after it, the gathering state may still read `complete` (the previous generation's), so
 * only a later `complete` or the end-of-candidates event counts.
 */
function newGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let gathering = false;
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const onChange = () => {
      if (pc.iceGatheringState === 'gathering') gathering = true;
      else if (pc.iceGatheringState === 'complete' && gathering) done();
    };
    const onCandidate = (event: RTCPeerConnectionIceEvent) => {
      if (!event.candidate) done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
    pc.addEventListener('icecandidate', onCandidate);
  });
}

/** Sends DELETE for a session resource; survives page unload. */
export function deleteSession(location: string, token?: string | null): void {
  void fetch(location, { method: 'DELETE', headers: authHeaders(token), keepalive: true }).catch(() => {
    // The server may already be gone; nothing else to release.
  });
}

/** Sessions not yet closed, so that leaving the page (or a removed iframe) closes them all. */
const openSessions = new Set<() => void>();
let closingOnPageHide = false;

function closeOnPageHide(close: () => void): void {
  openSessions.add(close);
  if (closingOnPageHide) return;
  closingOnPageHide = true;
  // No disconnect callback runs when the page goes away: DELETE (keepalive) from here.
  addEventListener('pagehide', () => {
    for (const closeSession of [...openSessions]) closeSession();
  });
}

/** fetch with a deadline; rejects with a WhepRefusedError naming the request. */
async function request(url: string, init: RequestInit, timeoutMs: number, what: string, signal?: AbortSignal): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fetch(url, { ...init, signal: controller.signal, cache: 'no-store' });
  } catch {
    if (signal?.aborted) throw new WhepRefusedError('aborted');
    if (controller.signal.aborted) throw new WhepRefusedError(`${what}: no answer within ${timeoutMs} ms`);
    // No server answered at all (offline, refused, DNS): maybe the viewer's own network.
    throw new WhepRefusedError(`${what}: unreachable`, undefined, undefined, true);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** `valid-until` of a counter-offer's Content-Type (an HTTP-date), or the draft's default. */
function counterOfferExpiry(contentType: string, receivedAt: number): number {
  const match = /;\s*valid-until\s*=\s*(?:"([^"]*)"|([^;]*))/i.exec(contentType);
  const date = match ? Date.parse((match[1] ?? match[2]).trim()) : NaN;
  return Number.isFinite(date) ? date : receivedAt + COUNTER_OFFER_VALID_MS;
}

export async function openWhepSession(endpoint: string, options: WhepSessionOptions): Promise<WhepSession> {
  let pc = new RTCPeerConnection();
  let location: string | null = null;
  let closed = false;
  const ending = new AbortController();
  const close = () => {
    if (closed) return;
    closed = true;
    openSessions.delete(close);
    ending.abort();
    pc.close();
    if (location) deleteSession(location, options.token);
  };
  closeOnPageHide(close);
  const onAbort = () => close();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await waitForGathering(pc, options.gatherTimeoutMs ?? 1000);
    if (closed) throw new WhepRefusedError('aborted');

    // The caller's abort does not cancel the POST: the server may already have created the
    // session, and only the answer's Location lets us DELETE it (done below when closed).
    const response = await request(
      endpoint,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', ...authHeaders(options.token) },
        body: pc.localDescription!.sdp,
      },
      options.timeoutMs,
      'WHEP POST',
    );
    const receivedAt = Date.now();
    // After a redirect (the draft's 307 load balancing) the resource's URLs are relative to it.
    const base = response.url || endpoint;
    const contentType = response.headers.get('Content-Type') ?? '';
    const locationHeader = response.headers.get('Location');
    const counterOffer = response.status === 406 && /^application\/sdp\b/i.test(contentType) && !!locationHeader;

    if (response.status !== 201 && !counterOffer) {
      response.body?.cancel().catch(() => {});
      throw new WhepRefusedError(
        `WHEP POST: HTTP ${response.status}`,
        response.status,
        parseRetryAfter(response.headers.get('Retry-After')),
      );
    }
    const remote = await response.text();
    if (!locationHeader) throw new WhepRefusedError('WHEP POST: 201 without a Location');
    location = new URL(locationHeader, base).href;
    if (closed) {
      deleteSession(location, options.token);
      throw new WhepRefusedError('aborted');
    }
    const links = parseLinks(response.headers.get('Link'), base);
    const iceServers = iceServersFrom(links);

    if (counterOffer && !options.probe) {
      // The server's offer replaces ours: answer it on a fresh peer connection (ours has an
      // offer of its own pending), then PATCH the answer to the session.
      const expiresAt = counterOfferExpiry(contentType, receivedAt);
      pc.close();
      pc = new RTCPeerConnection(iceServers.length ? { iceServers } : undefined);
      await pc.setRemoteDescription({ type: 'offer', sdp: remote });
      await pc.setLocalDescription(await pc.createAnswer());
      await waitForGathering(pc, options.gatherTimeoutMs ?? 1000);
      if (closed) throw new WhepRefusedError('aborted');
      if (Date.now() > expiresAt) throw new WhepRefusedError('WHEP POST: 406 counter-offer expired before it could be answered', 406);
      const patched = await request(
        location,
        {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/sdp', ...authHeaders(options.token) },
          body: pc.localDescription!.sdp,
        },
        options.timeoutMs,
        'WHEP PATCH (answer to the counter-offer)',
        ending.signal,
      );
      patched.body?.cancel().catch(() => {});
      if (!patched.ok) throw new WhepRefusedError(`WHEP PATCH (answer to the counter-offer): HTTP ${patched.status}`, patched.status);
    } else if (!counterOffer) {
      if (iceServers.length) pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
      await pc.setRemoteDescription({ type: 'answer', sdp: remote });
    }

    const session: WhepSession = {
      pc,
      location,
      endpoint,
      links,
      etag: response.headers.get('ETag'),
      counterOffer,
      restartIce: () => Promise.resolve({ ok: false, cause: 'closed' }),
      close,
    };
    session.restartIce = iceRestarter(session, options, () => closed, ending.signal);
    return session;
  } catch (error) {
    close();
    if (error instanceof WhepRefusedError) throw error;
    throw new WhepRefusedError(`WHEP: ${(error as Error).message}`);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The session's ICE restart (draft-ietf-wish-whep, "ICE Restarts"): a new local offer with new
 * credentials, its fragment PATCHed with `If-Match: *`, the server's fragment applied as the
 * new remote answer. Not 200, no answer, or an answer that cannot be applied: the local
 * offer is rolled back (the old ICE session goes on, as the draft has the server keep it).
 */
function iceRestarter(session: WhepSession, options: WhepSessionOptions, isClosed: () => boolean, signal: AbortSignal) {
  let running = false;
  return async (): Promise<IceRestartResult> => {
    const { pc } = session;
    if (isClosed()) return { ok: false, cause: 'closed' };
    if (running) return { ok: false, cause: 'an ICE restart is already running' };
    running = true;
    let code: Awaited<ReturnType<typeof loadRestartCode>>;
    try {
      code = await loadRestartCode();
    } catch {
      running = false;
      return { ok: false, cause: 'ICE restart: its code could not be loaded' };
    }
    const { localSetupOf, parseFragment, remoteAnswerAfterRestart, restartFragment } = code;
    const setup = localSetupOf(pc.localDescription?.sdp ?? '');
    const previousRemote = pc.remoteDescription?.sdp ?? '';
    let offered = false;
    const rollback = async (cause: string, status?: number): Promise<IceRestartResult> => {
      if (offered && !isClosed() && pc.signalingState === 'have-local-offer') {
        await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
      }
      return { ok: false, cause, ...(status === undefined ? {} : { status }) };
    };
    try {
      const gathered = newGathering(pc, options.gatherTimeoutMs ?? 1000);
      pc.restartIce();
      await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      offered = true;
      await gathered;
      if (isClosed()) return { ok: false, cause: 'closed' };
      const localOffer = pc.localDescription!.sdp;
      let response: Response;
      try {
        response = await request(
          session.location,
          {
            method: 'PATCH',
            headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*', ...authHeaders(options.token) },
            body: restartFragment(localOffer),
          },
          options.timeoutMs,
          'WHEP PATCH (ICE restart)',
          signal,
        );
      } catch (error) {
        return await rollback((error as Error).message);
      }
      if (isClosed()) return { ok: false, cause: 'closed' };
      if (response.status !== 200) {
        response.body?.cancel().catch(() => {});
        return await rollback(`WHEP PATCH (ICE restart): HTTP ${response.status}`, response.status);
      }
      const fragment = parseFragment(await response.text());
      if (isClosed()) return { ok: false, cause: 'closed' };
      try {
        await pc.setRemoteDescription({ type: 'answer', sdp: remoteAnswerAfterRestart(previousRemote, localOffer, fragment, setup) });
      } catch (error) {
        return await rollback(`WHEP PATCH (ICE restart): the server's fragment cannot be used (${(error as Error).message})`, 200);
      }
      session.etag = response.headers.get('ETag') ?? session.etag;
      return { ok: true };
    } catch (error) {
      return await rollback(`ICE restart: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };
}
