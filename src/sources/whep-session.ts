/**
 * One WHEP session (draft-ietf-wish-whep): a receive-only offer POSTed as application/sdp,
 * `201 Created` with the answer and a `Location`, and a `DELETE` on that Location when the
 * session ends, however it ends. ICE servers come from `Link: <…>; rel="ice-server"`.
 * Policy: no trickle ICE (the offer waits for gathering, at most `gatherTimeoutMs`); no
 * retry here: `409`/`503` and their `Retry-After` are returned as "not live yet" and the
 * caller's backoff decides. The bearer token goes in the Authorization header only; it is
 * never logged nor put in the DOM. Sessions still open when the page is hidden for good
 * (`pagehide`: navigation, closed tab, removed iframe) are closed then.
 */
import { parseRetryAfter } from './retry-after.js';

export const SSE_EXTENSION_REL = 'urn:ietf:params:whep:ext:core:server-sent-events';

export interface WhepLink {
  url: string;
  rel: string;
  params: Record<string, string>;
}

export interface WhepSession {
  pc: RTCPeerConnection;
  /** Absolute URL of the session resource. */
  location: string;
  links: WhepLink[];
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
  /** Deadline of the POST, in ms. */
  timeoutMs: number;
  gatherTimeoutMs?: number;
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

export async function openWhepSession(endpoint: string, options: WhepSessionOptions): Promise<WhepSession> {
  const pc = new RTCPeerConnection();
  let location: string | null = null;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    openSessions.delete(close);
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
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', ...authHeaders(options.token) },
        body: pc.localDescription!.sdp,
        signal: controller.signal,
        cache: 'no-store',
      });
    } catch {
      if (controller.signal.aborted) throw new WhepRefusedError(`WHEP POST: no answer within ${options.timeoutMs} ms`);
      throw new WhepRefusedError('WHEP POST: unreachable', undefined, undefined, true);
    } finally {
      clearTimeout(timer);
    }

    if (response.status !== 201) {
      response.body?.cancel().catch(() => {});
      throw new WhepRefusedError(
        `WHEP POST: HTTP ${response.status}`,
        response.status,
        parseRetryAfter(response.headers.get('Retry-After')),
      );
    }
    const locationHeader = response.headers.get('Location');
    const answer = await response.text();
    if (!locationHeader) throw new WhepRefusedError('WHEP POST: 201 without a Location');
    location = new URL(locationHeader, endpoint).href;
    if (closed) {
      deleteSession(location, options.token);
      throw new WhepRefusedError('aborted');
    }
    const links = parseLinks(response.headers.get('Link'), endpoint);
    const iceServers = iceServersFrom(links);
    if (iceServers.length) pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return { pc, location, links, close };
  } catch (error) {
    close();
    if (error instanceof WhepRefusedError) throw error;
    throw new WhepRefusedError(`WHEP: ${(error as Error).message}`);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
