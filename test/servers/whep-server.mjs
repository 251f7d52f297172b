// WHEP test server (draft-ietf-wish-whep): werift peer connections in Node, each stream fed
// by its own ffmpeg RTP publisher (rtp-publisher.mjs, VP8, video only). One HTTP port serves
// the WHEP endpoints, sessions, server-sent events and a CORS-enabled control API, with
// per-stream fault injection and a request log. Used by the browser tests, the demo and the
// benchmark, like hls-origin.mjs.
//
// Policy:
// - RTP from a publisher is rewritten per stream so sequence numbers and timestamps run on
//   continuously across publisher restarts; existing sessions resume on the same track.
// - A session is "open" from its 201 until DELETE, a server-side close (stop, close()), or its
//   peer connection closing/failing on its own. ice-fail sessions have no live peer connection
//   and stay open until DELETE (or 30 s), so a test can still check that the client released them.
// - Tokens are checked, never logged: the log says only whether one was sent.
// - Faults change at once; held (hang) requests are cut when the fault changes or on close().
// - PATCH (draft-ietf-wish-whep, RFC 8840 sdpfrag): an sdpfrag with new ice-ufrag/ice-pwd is an
//   ICE restart: werift restarts its ICE agent with the new remote credentials and candidates,
//   and the answer is 200 with the server's own new sdpfrag and a new ETag; a fragment with
//   only candidates is trickle (204). `no-patch` answers every PATCH 405 (or 501/422).
// - `offer-406`: a POST is answered 406 with the server's own offer and a Location (the draft's
//   counter-offer); the client completes it with a PATCH of its answer (application/sdp, 204).
//   Such a session is open from the 406 and expires 30 s later if never completed.
// - `move` models the viewer's network changing under a session: every address the session's
//   client has used so far is dropped both ways (no media, no consent/STUN answers), as if
//   that address were gone; a client that restarts ICE from new ports (what browsers do)
//   gets through again. `cut` drops everything on the session's sockets, restarts included.
// - `reconnect` sends the SSE extension's `reconnect` event (with `url` when given) to every
//   open session of the stream at once; new sessions are served normally.
// - `/whep/<stream>/redirect` answers a POST 307 to the stream's endpoint on this server's
//   address (the draft's load balancing); posted to another host name (localhost), the
//   session's relative URLs then belong to the address redirected to. The log keeps each
//   request's Host.
// - A POST with `?ice-server=stun` gets `Link: <stun:…>; rel="ice-server"` naming this server's
//   own STUN server (stun-server.mjs), whose Binding requests are logged as method `STUN`.
//
//   node test/servers/whep-server.mjs [--host 127.0.0.1] [--port 8500]   Ctrl-C stops.

import { createServer } from 'node:http';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import * as kit from './http-kit.mjs';
import { startPublisher } from './rtp-publisher.mjs';
import { startStunServer } from './stun-server.mjs';

/** @typedef {import('node:http').IncomingMessage} Request */
/** @typedef {import('node:http').ServerResponse} Response */
/** @typedef {import('node:dgram').Socket} UdpSocket */
/** @typedef {import('./http-kit.mjs').Reply} Reply */

/**
 * @typedef {'none' | 'publisher-gone' | 'post-404' | 'post-503' | 'post-409' | 'ice-fail' | 'cut' | 'stop' | 'hang' | 'require-token' | 'no-patch' | 'move' | 'reconnect' | 'offer-406'} FaultKind
 *
 * @typedef {object} Fault
 * @property {FaultKind} kind
 * @property {201 | 404} [post]       `publisher-gone`: what a new POST gets (default 404)
 * @property {boolean} [quiet]        `publisher-gone`, `stop`: no SSE `inactive` event (only the frames stop)
 * @property {number} [retryAfter]    `post-503`, `post-409`: Retry-After seconds (default 2)
 * @property {string} [token]         `require-token`: the Bearer token POST must carry
 * @property {405 | 501 | 422} [status]  `no-patch`: the PATCH answer (default 405)
 * @property {string} [url]           `reconnect`: the `url` of the event's data (none: the same endpoint)
 *
 * @typedef {object} LogEntry
 * @property {number} t         epoch ms when the request arrived
 * @property {string} stream
 * @property {string} method
 * @property {string} path
 * @property {number} status    0 while held (hang) or when the client went away unanswered
 * @property {boolean} token    whether an Authorization: Bearer header was present (never its value)
 * @property {number} ms        time to the response (0 while unanswered)
 * @property {string} host      the request's Host (STUN: the sender's address)
 *
 * @typedef {object} SessionInfo
 * @property {string} id
 * @property {string} stream
 * @property {string} location
 * @property {number} createdAt
 * @property {number | null} closedAt
 * @property {'delete' | 'peer' | 'server' | 'expired' | null} closedBy
 * @property {boolean} iceFail
 * @property {boolean} cut
 * @property {boolean} moved            `move` applied and no ICE restart since
 * @property {number} iceRestarts       ICE restarts done through PATCH
 * @property {boolean} counterOffer     created by a 406 counter-offer
 * @property {boolean} answered         false while a 406 counter-offer waits for the client's answer
 * @property {string} connectionState   of the server's peer connection
 *
 * @typedef {object} StreamInfo
 * @property {string} name
 * @property {string} colour
 * @property {string} url       the WHEP endpoint
 *
 * @typedef {object} WhepOptions
 * @property {string} [host]      default '127.0.0.1'
 * @property {number} [port]      default 0 (a free port)
 * @property {Record<string, string>} [streams]   name -> colour; default primary red, fallback blue
 * @property {number} [logLimit]  newest log entries kept, default 10000
 * @property {string} [tag]       marker in every publisher's command line (default unique per server)
 *
 * @typedef {object} WhepServer
 * @property {string} url
 * @property {string} tag          `pgrep -f <tag>` finds this server's publishers
 * @property {Record<string, StreamInfo>} streams
 * @property {(stream: string, fault: Fault | FaultKind) => Promise<Fault>} setFault
 * @property {(stream: string) => Fault} getFault
 * @property {() => Promise<void>} reset
 * @property {(stream?: string) => number} openSessions
 * @property {(filter?: { stream?: string }) => SessionInfo[]} sessions   open and closed since reset
 * @property {(stream: string) => { packets: number, lastPacketAt: number, publisher: boolean, inactiveSentAt: number }} stats
 *           inactiveSentAt: when an SSE `inactive` was last written to a session (epoch ms, 0 if never)
 * @property {(filter?: { stream?: string, since?: number }) => LogEntry[]} log
 * @property {() => Promise<void>} close
 */

/** @type {readonly FaultKind[]} */
export const FAULT_KINDS = [
  'none',
  'publisher-gone',
  'post-404',
  'post-503',
  'post-409',
  'ice-fail',
  'cut',
  'stop',
  'hang',
  'require-token',
  'no-patch',
  'move',
  'reconnect',
  'offer-406',
];
export const SSE_REL = 'urn:ietf:params:whep:ext:core:server-sent-events';
const DEFAULT_STREAMS = { primary: 'red', fallback: 'blue' };
const DEFAULT_RETRY_AFTER = 2;
const ICE_FAIL_SESSION_TTL_MS = 30_000;
/** The draft's default lifetime of a 406 counter-offer without `valid-until`. */
const COUNTER_OFFER_TTL_MS = 30_000;
const SSE_KEEPALIVE_MS = 10_000;
const FIRST_PACKET_TIMEOUT_MS = 5000;
const RESTART_DELAY_MS = 1000;
const PC_CLOSE_TIMEOUT_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Small helpers

const newId = () => randomBytes(8).toString('hex');

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @returns {Promise<T | undefined>}
 */
function withTimeout(promise, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(r, ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const setCorsHeaders = kit.corsHeaders({
  methods: 'POST, DELETE, PATCH, OPTIONS, GET',
  allowHeaders: 'Content-Type, Authorization, If-Match',
  exposeHeaders: 'Location, Link, ETag, Retry-After',
});

/** An SDP offer or answer, or an sdpfrag, is far below this. */
const BODY_LIMIT = 256 * 1024;

/**
 * Normalises a fault from JS, JSON or query parameters; throws on an unknown kind.
 * @param {Fault | FaultKind | Record<string, unknown>} input
 * @returns {Fault}
 */
export function normaliseFault(input) {
  const raw = /** @type {Record<string, unknown>} */ (typeof input === 'string' ? { kind: input } : input);
  const kind = /** @type {FaultKind} */ (String(raw.kind ?? 'none'));
  if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault '${kind}' (one of ${FAULT_KINDS.join(', ')})`);
  /** @type {Fault} */
  const fault = { kind };
  if (kind === 'publisher-gone') fault.post = Number(raw.post ?? 404) === 201 ? 201 : 404;
  if ((kind === 'publisher-gone' || kind === 'stop') && (raw.quiet === true || raw.quiet === 'true' || raw.quiet === '1')) {
    fault.quiet = true;
  }
  if ((kind === 'post-503' || kind === 'post-409') && raw.retryAfter != null) fault.retryAfter = Number(raw.retryAfter);
  if (kind === 'no-patch') {
    const status = Number(raw.status ?? 405);
    fault.status = status === 501 ? 501 : status === 422 ? 422 : 405;
  }
  if (kind === 'reconnect' && typeof raw.url === 'string' && raw.url) fault.url = raw.url;
  if (kind === 'require-token') {
    if (typeof raw.token !== 'string' || !raw.token) throw new Error('require-token needs a token');
    fault.token = raw.token;
  }
  return fault;
}

/** A fault as shown to the outside: the token is never echoed back. @param {Fault} f */
const publicFault = (f) => (f.token ? { ...f, token: '***' } : { ...f });

// ---------------------------------------------------------------------------------------------
// RTP continuity

/** RTCP (payload types 200-204 in the second byte) rather than RTP. @param {Buffer} packet */
const isRtcp = (packet) => packet[1] >= 200 && packet[1] <= 204;

/**
 * Rewrites RTP headers in place so that a new publisher (new SSRC, fresh sequence numbers and
 * timestamps) continues where the previous one stopped: seq + 1, timestamp advanced by the wall
 * time that passed (90 kHz). The WHEP sender sets its own SSRC and payload type afterwards.
 * @returns {(packet: Buffer) => void}
 */
export function createRtpRewriter() {
  /** @type {number | null} */
  let ssrc = null;
  let seqOffset = 0;
  let tsOffset = 0;
  /** @type {{ seq: number, ts: number, at: number } | null} */
  let last = null;
  return (packet) => {
    const inSsrc = packet.readUInt32BE(8);
    const inSeq = packet.readUInt16BE(2);
    const inTs = packet.readUInt32BE(4);
    const now = performance.now();
    if (inSsrc !== ssrc) {
      if (last) {
        seqOffset = (last.seq + 1 - inSeq) & 0xffff;
        tsOffset = (last.ts + Math.round((now - last.at) * 90) - inTs) >>> 0;
      }
      ssrc = inSsrc;
    }
    const seq = (inSeq + seqOffset) & 0xffff;
    const ts = (inTs + tsOffset) >>> 0;
    packet.writeUInt16BE(seq, 2);
    packet.writeUInt32BE(ts, 4);
    last = { seq, ts, at: now };
  };
}

// ---------------------------------------------------------------------------------------------
// Peer connections

const VP8 = () =>
  new RTCRtpCodecParameters({
    mimeType: 'video/VP8',
    clockRate: 90000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }],
  });
/** Only so an offer with audio can be answered (inactive): the streams have no audio. */
const OPUS = () => new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });

/**
 * Drops everything a peer connection would send or receive on its ICE sockets (STUN
 * responses, media, RTCP): the client sees a network cut, without any DTLS close alert.
 * Reaches into werift's internals (iceTransports[].connection.protocols[].transport).
 * @param {RTCPeerConnection} pc
 */
function silence(pc) {
  for (const ice of pc.iceTransports) {
    for (const protocol of /** @type {any} */ (ice.connection).protocols ?? []) {
      const transport = protocol.transport;
      if (!transport) continue;
      transport.send = async () => {};
      transport.onData = () => {};
    }
  }
}

/**
 * Closes a peer connection within a bounded time. werift keeps retransmitting a DTLS handshake
 * cut half-way (a probe that POSTs and DELETEs at once) for ~30 s after close(), and even
 * starts one 100 ms after ICE connects if close() came in between; either holds the Node
 * process open. So: no late start, and a running handshake is marked as past its last flight,
 * which ends its retransmit loop at the next wake-up. Reaches into werift's internals
 * (dtlsTransports[].dtls: DtlsSocket, .dtls: DtlsContext).
 * @param {RTCPeerConnection} pc
 */
async function closePeer(pc) {
  const transports = [...(pc.dtlsTransports ?? [])]; // werift forgets them on close
  await withTimeout(
    pc.close().catch(() => {}),
    PC_CLOSE_TIMEOUT_MS,
  );
  for (const transport of transports) {
    const socket = /** @type {any} */ (transport).dtls;
    if (!socket) continue;
    socket.connect = async () => {};
    if (socket.dtls && typeof socket.dtls.flight === 'number') socket.dtls.flight = Number.MAX_SAFE_INTEGER;
  }
}

/**
 * Replaces the port of every candidate in an SDP, so nothing answers ICE checks.
 * @param {string} sdp
 * @param {number} port
 */
function breakCandidates(sdp, port) {
  return sdp.replace(/^(a=candidate:\S+ \d+ \S+ \d+ \S+ )(\d+)/gm, (_, head) => `${head}${port}`);
}

/**
 * Answers a recvonly offer with a sendonly video track; resolves once ICE gathering is done
 * (the answer carries every candidate). The streams are video only: an audio m-line in the
 * offer (players ask for audio too) is accepted and answered inactive.
 * @param {string} offer
 * @returns {Promise<{ pc: RTCPeerConnection, track: MediaStreamTrack, answer: string }>}
 */
function answerOffer(offer) {
  return withPeer(async (pc, track) => {
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const video = pc.getTransceivers().find((t) => t.kind === 'video');
    if (!video) throw Object.assign(new Error('offer has no video m-line'), { status: 400 });
    video.setDirection('sendonly');
    for (const other of pc.getTransceivers()) if (other.kind === 'audio') other.setDirection('inactive');
    await video.sender.replaceTrack(track);
    await pc.setLocalDescription(await pc.createAnswer());
  }).then(({ pc, track, sdp }) => ({ pc, track, answer: sdp }));
}

/**
 * A server-side peer connection (loopback candidates, VP8 video) and its video track, set up
 * by `negotiate`; resolves once ICE gathering is done, with the local description. A failed
 * set-up closes the peer.
 * @param {(pc: RTCPeerConnection, track: MediaStreamTrack) => Promise<void>} negotiate
 * @returns {Promise<{ pc: RTCPeerConnection, track: MediaStreamTrack, sdp: string }>}
 */
async function withPeer(negotiate) {
  const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], codecs: { video: [VP8()], audio: [OPUS()] } });
  try {
    const track = new MediaStreamTrack({ kind: 'video' });
    await negotiate(pc, track);
    await waitForGathering(pc);
    return { pc, track, sdp: /** @type {{ sdp: string }} */ (pc.localDescription).sdp };
  } catch (err) {
    closePeer(pc);
    throw err;
  }
}

/**
 * @param {RTCPeerConnection} pc
 * @returns {Promise<void>}
 */
async function waitForGathering(pc) {
  if (pc.iceGatheringState === 'complete') return;
  await withTimeout(
    new Promise((r) =>
      pc.iceGatheringStateChange.subscribe((state) => {
        if (state === 'complete') r(undefined);
      }),
    ),
    3000,
  );
}

/**
 * Makes the server's own offer (the draft's 406 counter-offer): one sendonly video m-line,
 * every candidate gathered.
 * @returns {Promise<{ pc: RTCPeerConnection, track: MediaStreamTrack, offer: string }>}
 */
function makeCounterOffer() {
  return withPeer(async (pc, track) => {
    pc.addTransceiver(track, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
  }).then(({ pc, track, sdp }) => ({ pc, track, offer: sdp }));
}

/**
 * @typedef {object} SdpFrag   the ICE part of an RFC 8840 `application/trickle-ice-sdpfrag`
 * @property {string | null} ufrag
 * @property {string | null} pwd
 * @property {string[]} candidates   `candidate:…` values (without `a=`)
 * @property {boolean} end           `a=end-of-candidates`
 */

/**
 * Reads an sdpfrag: credentials at session level or in the (first) m-section, candidates.
 * @param {string} frag
 * @returns {SdpFrag}
 */
export function parseSdpFrag(frag) {
  /** @type {SdpFrag} */
  const out = { ufrag: null, pwd: null, candidates: [], end: false };
  for (const raw of frag.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('a=ice-ufrag:')) out.ufrag ??= line.slice('a=ice-ufrag:'.length);
    else if (line.startsWith('a=ice-pwd:')) out.pwd ??= line.slice('a=ice-pwd:'.length);
    else if (line.startsWith('a=candidate:')) out.candidates.push(line.slice(2));
    else if (line === 'a=end-of-candidates') out.end = true;
  }
  return out;
}

/**
 * The session's offer again, with the ICE part replaced by the fragment's (new credentials in
 * every m-section, the new candidates in the first one: the bundle tag). Nothing else changes,
 * as the draft says: only ICE is renegotiated.
 * @param {string} sdp
 * @param {SdpFrag} frag
 */
function withNewIce(sdp, frag) {
  const out = [];
  let section = -1;
  const flushCandidates = () => {
    if (section !== 0) return;
    for (const candidate of frag.candidates) out.push(`a=${candidate}`);
    if (frag.end) out.push('a=end-of-candidates');
  };
  for (const line of sdp.split(/\r?\n/)) {
    if (!line) continue;
    if (line.startsWith('m=')) {
      flushCandidates();
      section += 1;
      out.push(line);
    } else if (line.startsWith('a=ice-ufrag:')) out.push(`a=ice-ufrag:${frag.ufrag}`);
    else if (line.startsWith('a=ice-pwd:')) out.push(`a=ice-pwd:${frag.pwd}`);
    else if (!line.startsWith('a=candidate:') && line !== 'a=end-of-candidates') out.push(line);
  }
  flushCandidates();
  return out.join('\r\n') + '\r\n';
}

/**
 * The server's side of an ICE restart as an sdpfrag (RFC 8840 / the draft's PATCH answer): the
 * ice-options of its description, the bundle group, the first m-line with its mid, the new
 * credentials and every candidate.
 * @param {string} sdp   the server's new local description
 */
function iceFragOf(sdp) {
  const lines = sdp.split(/\r?\n/);
  const firstM = lines.findIndex((l) => l.startsWith('m='));
  const session = lines.slice(0, firstM);
  const nextM = lines.findIndex((l, i) => i > firstM && l.startsWith('m='));
  const media = lines.slice(firstM, nextM < 0 ? undefined : nextM);
  const pick = (/** @type {string[]} */ from, /** @type {string} */ prefix) => from.filter((l) => l.startsWith(prefix));
  const all = [...session, ...media];
  return (
    [
      ...pick(all, 'a=ice-lite'),
      ...pick(all, 'a=ice-options:').slice(0, 1),
      ...pick(session, 'a=group:BUNDLE'),
      media[0],
      ...pick(media, 'a=mid:'),
      ...pick(all, 'a=ice-ufrag:').slice(0, 1),
      ...pick(all, 'a=ice-pwd:').slice(0, 1),
      ...pick(media, 'a=candidate:'),
      'a=end-of-candidates',
    ].join('\r\n') + '\r\n'
  );
}

/**
 * Makes the addresses in `blocked` unreachable for a peer connection: nothing is sent to them
 * and nothing from them is read (STUN, DTLS, RTP, RTCP), on every socket of its ICE agents.
 * The sockets stay open for every other address. Reaches into werift's internals like silence().
 * @param {RTCPeerConnection} pc
 * @param {Set<string>} blocked   "host:port"
 */
function filterAddresses(pc, blocked) {
  for (const ice of pc.iceTransports) {
    for (const protocol of /** @type {any} */ (ice.connection).protocols ?? []) {
      const transport = protocol.transport;
      if (!transport || transport.__filtered) continue;
      transport.__filtered = true;
      const send = transport.send;
      const onData = transport.onData;
      transport.send = (/** @type {Buffer} */ data, /** @type {[string, number] | undefined} */ addr) =>
        addr && blocked.has(`${addr[0]}:${addr[1]}`) ? Promise.resolve() : send(data, addr);
      transport.onData = (/** @type {Buffer} */ data, /** @type {[string, number]} */ addr) => {
        if (!blocked.has(`${addr[0]}:${addr[1]}`)) onData(data, addr);
      };
    }
  }
}

/**
 * Makes werift answer only checks of the current ICE session: USERNAME must be its own current
 * ufrag and the client's current one. During an ICE restart the browser pings the server's
 * old candidates from its new ports before it has the server's new credentials; werift would
 * answer and start triggered checks with the old password (it keeps old ones), and stamp the
 * old ufrag on its shared local candidates, so that its later checks fail their integrity
 * check and no pair is nominated (seen about one restart in three). Ignored, those early
 * checks are simply sent again once the browser has the answer.
 * @param {RTCPeerConnection} pc
 */
function currentCredentialsOnly(pc) {
  for (const ice of pc.iceTransports) {
    const connection = /** @type {any} */ (ice.connection);
    connection.options.filterStunResponse = (/** @type {any} */ message) => {
      const [local, remote] = String(message.getAttributeValue('USERNAME') ?? '').split(':');
      return local === connection.localUsername && (!connection.remoteUsername || remote === connection.remoteUsername);
    };
  }
}

/**
 * Every address the peer's client has used so far (remote candidates, the selected pair).
 * @param {RTCPeerConnection} pc
 * @returns {string[]}
 */
function remoteAddresses(pc) {
  const found = new Set();
  for (const ice of pc.iceTransports) {
    const connection = /** @type {any} */ (ice.connection);
    for (const candidate of connection.remoteCandidates ?? []) found.add(`${candidate.host}:${candidate.port}`);
    for (const pair of connection.checkList ?? []) found.add(`${pair.remoteCandidate.host}:${pair.remoteCandidate.port}`);
    const nominated = connection.nominated;
    if (nominated) found.add(`${nominated.remoteCandidate.host}:${nominated.remoteCandidate.port}`);
    for (const protocol of connection.protocols ?? []) {
      const rinfo = protocol.transport?.rinfo;
      if (rinfo) found.add(`${rinfo.address}:${rinfo.port}`);
    }
  }
  return [...found];
}

// ---------------------------------------------------------------------------------------------
// Sessions

/**
 * @typedef {object} Session
 * @property {string} id
 * @property {string} stream
 * @property {string} etag
 * @property {number} createdAt
 * @property {number | null} closedAt
 * @property {SessionInfo['closedBy']} closedBy
 * @property {RTCPeerConnection | null} pc      null for ice-fail sessions
 * @property {MediaStreamTrack | null} track
 * @property {boolean} cut
 * @property {Set<string>} blocked        `move`: client addresses that no longer get through
 * @property {number} iceRestarts
 * @property {string} remoteSdp           the client's offer (or, after a 406, its answer)
 * @property {boolean} counterOffer       created by a 406 counter-offer
 * @property {boolean} answered           false while a counter-offer waits for its answer
 * @property {Promise<void>} patching     PATCHes of one session run one after another
 * @property {Set<Response>} sse
 * @property {NodeJS.Timeout | null} expiry
 */

/**
 * A new open session; a counter-offer's waits for the client's answer.
 * @param {string} stream
 * @param {RTCPeerConnection} pc
 * @param {MediaStreamTrack} track
 * @param {{ remoteSdp: string, counterOffer: boolean }} how
 * @returns {Session}
 */
function newSession(stream, pc, track, { remoteSdp, counterOffer }) {
  return {
    id: newId(),
    stream,
    etag: `"${newId()}"`,
    createdAt: Date.now(),
    closedAt: null,
    closedBy: null,
    pc,
    track,
    cut: false,
    blocked: new Set(),
    iceRestarts: 0,
    remoteSdp,
    counterOffer,
    answered: !counterOffer,
    patching: Promise.resolve(),
    sse: new Set(),
    expiry: null,
  };
}

/** @param {Session} s */
const locationOf = (s) => `/whep/${s.stream}/sessions/${s.id}`;

/** @param {Session} s @returns {SessionInfo} */
function describeSession(s) {
  return {
    id: s.id,
    stream: s.stream,
    location: locationOf(s),
    createdAt: s.createdAt,
    closedAt: s.closedAt,
    closedBy: s.closedBy,
    iceFail: !s.pc,
    cut: s.cut,
    moved: s.blocked.size > 0,
    iceRestarts: s.iceRestarts,
    counterOffer: s.counterOffer,
    answered: s.answered,
    connectionState: s.pc ? s.pc.connectionState : 'closed',
  };
}

/**
 * Writes one server-sent event; false when the stream is already closed.
 * @param {Response} res
 * @param {string} event
 * @param {unknown} data
 */
function writeEvent(res, event, data) {
  if (res.writableEnded || res.destroyed) return false;
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// One stream: publisher, RTP fan-out, fault, sessions

/**
 * @typedef {object} StreamContext
 * @property {string} host
 * @property {string} tag
 * @property {number} blackholePort   a UDP port that swallows packets (ice-fail candidates)
 */

/**
 * A stream. A closure over its state so fault changes are plain assignments.
 * @param {string} name
 * @param {string} colour
 * @param {StreamContext} ctx
 */
function createStream(name, colour, ctx) {
  /** @type {Fault} */
  let fault = { kind: 'none' };
  /** @type {Map<string, Session>} all sessions since the last reset, open and closed */
  const sessions = new Map();
  /** POSTs held by `hang`. */
  const held = kit.heldRequests();
  /** @type {import('./rtp-publisher.mjs').Publisher | null} */
  let publisher = null;
  /** @type {NodeJS.Timeout | null} */
  let restartTimer = null;
  /** Resolvers waiting for the next packet. @type {Set<() => void>} */
  const packetWaiters = new Set();
  let packets = 0;
  let lastPacketAt = 0;
  /** When an SSE `inactive` was last written to at least one session (epoch ms; read-only, for the bench). */
  let inactiveSentAt = 0;
  /** SSE `active` is sent on the first packet after each (re)start. */
  let announcedActive = false;
  let closed = false;
  let queue = Promise.resolve();
  const rewrite = createRtpRewriter();
  const udp = createSocket('udp4');
  let udpPort = 0;

  udp.on('message', (packet) => {
    if (packet.length < 12 || isRtcp(packet)) return;
    rewrite(packet);
    packets++;
    lastPacketAt = Date.now();
    for (const s of sessions.values()) {
      if (s.track && !s.closedAt && !s.cut) s.track.writeRtp(packet); // werift deserialises a copy
    }
    for (const wake of packetWaiters) wake();
    packetWaiters.clear();
    if (!announcedActive) {
      announcedActive = true;
      broadcast('active', {});
    }
  });

  const publisherWanted = () => !closed && fault.kind !== 'publisher-gone' && fault.kind !== 'stop';
  const openList = () => [...sessions.values()].filter((s) => !s.closedAt);

  /** @param {string} event @param {unknown} data */
  function broadcast(event, data) {
    let written = 0;
    for (const s of openList()) for (const res of s.sse) written += writeEvent(res, event, data) ? 1 : 0;
    if (event === 'inactive' && written) inactiveSentAt = Date.now();
  }

  /** @param {number} ms */
  function nextPacket(ms) {
    /** @type {() => void} */
    let wake = () => {};
    const p = new Promise((r) => {
      wake = () => r(true);
      packetWaiters.add(wake);
    });
    return withTimeout(p, ms).finally(() => packetWaiters.delete(wake));
  }

  /** Starts the publisher if it should run; resolves on its first packet (or after 5 s). */
  async function ensurePublisher() {
    if (publisher || !publisherWanted()) return;
    announcedActive = false;
    const first = nextPacket(FIRST_PACKET_TIMEOUT_MS);
    const p = startPublisher({ colour, label: name, port: udpPort, host: ctx.host, tag: `${ctx.tag}:${name}` });
    publisher = p;
    p.exited.then((exit) => onPublisherExit(p, exit));
    const outcome = await Promise.race([first.then((ok) => (ok ? 'packet' : 'timeout')), p.exited]);
    if (outcome === 'timeout' && publisher === p)
      console.warn(`[whep] ${name}: no RTP from the publisher within ${FIRST_PACKET_TIMEOUT_MS} ms`);
    if (typeof outcome === 'object' && !closed && publisherWanted()) {
      throw new Error(`[whep] ${name}: publisher exited at start (${outcome.code ?? outcome.signal}): ${outcome.stderr.trim()}`);
    }
  }

  /**
   * @param {import('./rtp-publisher.mjs').Publisher} p
   * @param {{ code: number | null, signal: string | null, stderr: string }} exit
   */
  function onPublisherExit(p, exit) {
    if (publisher !== p) return; // stopped on purpose
    publisher = null;
    broadcast('inactive', {});
    // Died before its first packet: ensurePublisher reports that (a broken ffmpeg), no retry loop.
    if (!publisherWanted() || !announcedActive) return;
    console.warn(`[whep] ${name}: publisher exited (${exit.code ?? exit.signal}) ${exit.stderr.trim()}; restarting`);
    restartTimer = setTimeout(() => {
      restartTimer = null;
      ensurePublisher().catch((err) => console.warn(err.message));
    }, RESTART_DELAY_MS);
  }

  /** Kills the publisher; `announce` sends SSE `inactive {}` (not on a deliberate stop). */
  async function stopPublisher(announce = true) {
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = null;
    const p = publisher;
    publisher = null;
    if (!p) return;
    await p.stop();
    if (announce) broadcast('inactive', {});
  }

  /**
   * Ends a session: its peer connection, SSE streams and expiry timer.
   * @param {Session} s
   * @param {NonNullable<SessionInfo['closedBy']>} by
   */
  async function endSession(s, by) {
    if (s.closedAt) return;
    s.closedAt = Date.now();
    s.closedBy = by;
    if (s.expiry) clearTimeout(s.expiry);
    for (const res of s.sse) res.end();
    s.sse.clear();
    s.track?.stop();
    if (s.pc) await closePeer(s.pc);
  }

  /**
   * Creates a session for an offer (an unusable one under ice-fail).
   * @param {string} offer
   * @returns {Promise<{ session: Session, answer: string }>}
   */
  async function createSession(offer) {
    const iceFail = fault.kind === 'ice-fail';
    const { pc, track, answer } = await answerOffer(offer);
    const s = newSession(name, pc, track, { remoteSdp: offer, counterOffer: false });
    if (iceFail) {
      // The answer is genuine (fingerprint, ufrag) but points at a port that never answers,
      // and the server's own peer connection is gone before it could run any check.
      await closePeer(pc);
      s.pc = null;
      s.track = null;
      s.expiry = setTimeout(() => endSession(s, 'expired'), ICE_FAIL_SESSION_TTL_MS);
      sessions.set(s.id, s);
      return { session: s, answer: breakCandidates(answer, ctx.blackholePort) };
    }
    watchPeer(s, pc);
    currentCredentialsOnly(pc);
    sessions.set(s.id, s);
    return { session: s, answer };
  }

  /**
   * A cut or moved session's peer is left to fail on its own: the session stays open (as a
   * real server's would until consent expires), so the client must still DELETE it.
   * @param {Session} s
   * @param {RTCPeerConnection} pc
   */
  function watchPeer(s, pc) {
    pc.connectionStateChange.subscribe((state) => {
      if ((state === 'closed' || state === 'failed') && !s.cut && s.blocked.size === 0) endSession(s, 'peer');
    });
  }

  /**
   * The draft's counter-offer: a session whose offer is the server's; open from the 406, it
   * expires unless the client PATCHes its answer within COUNTER_OFFER_TTL_MS.
   * @returns {Promise<{ session: Session, offer: string }>}
   */
  async function createCounterOfferSession() {
    const { pc, track, offer } = await makeCounterOffer();
    const s = newSession(name, pc, track, { remoteSdp: '', counterOffer: true });
    s.expiry = setTimeout(() => {
      if (!s.answered) endSession(s, 'expired');
    }, COUNTER_OFFER_TTL_MS);
    watchPeer(s, pc);
    currentCredentialsOnly(pc);
    sessions.set(s.id, s);
    return { session: s, offer };
  }

  /**
   * Completes a counter-offer with the client's answer; werift connects (it offered).
   * @param {Session} s
   * @param {string} answer
   */
  async function completeCounterOffer(s, answer) {
    if (!s.pc) throw Object.assign(new Error('session has no peer'), { status: 409 });
    await s.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    s.remoteSdp = answer;
    s.answered = true;
    if (s.expiry) clearTimeout(s.expiry);
    s.expiry = null;
  }

  /**
   * ICE restart with the client's new credentials and candidates: the session's offer is
   * applied again with the new ICE part (werift restarts its agent on new remote
   * credentials), answered, and ICE is started again (werift skips that by itself while
   * DTLS is up). Returns the server's new sdpfrag.
   * @param {Session} s
   * @param {SdpFrag} frag
   * @returns {Promise<string>}
   */
  async function restartIce(s, frag) {
    const pc = /** @type {RTCPeerConnection} */ (s.pc);
    await pc.setRemoteDescription({ type: 'offer', sdp: withNewIce(s.remoteSdp, frag) });
    await pc.setLocalDescription(await pc.createAnswer());
    await waitForGathering(pc);
    s.remoteSdp = withNewIce(s.remoteSdp, frag);
    s.iceRestarts += 1;
    s.etag = `"${newId()}"`;
    // werift's own connect() returns early while DTLS is up, so its agent would answer the new
    // checks but never nominate nor refresh consent (and never send again): start it here.
    for (const ice of pc.iceTransports) {
      ice.start().catch(() => {
        // Nothing answered on the new credentials (a cut session): the client's restart fails.
      });
    }
    return iceFragOf(/** @type {{ sdp: string }} */ (pc.localDescription).sdp);
  }

  /** Moves every open session: the addresses its client used so far stop getting through. */
  function moveSessions() {
    for (const s of openList()) {
      if (!s.pc || s.cut) continue;
      for (const address of remoteAddresses(s.pc)) s.blocked.add(address);
      filterAddresses(s.pc, s.blocked);
    }
  }

  /** Cuts every open session: no media, no STUN responses, nothing (the client times out). */
  function cutSessions() {
    for (const s of openList()) {
      if (!s.pc || s.cut) continue;
      s.cut = true;
      silence(s.pc);
    }
  }

  /** The deliberate stop: `inactive {"reason":"stopped"}` (unless `quiet`), then sessions and streams closed. */
  async function stopStream() {
    if (!fault.quiet) broadcast('inactive', { reason: 'stopped' });
    await Promise.all(openList().map((s) => endSession(s, 'server')));
    await stopPublisher(false);
  }

  /** @param {Fault} next */
  async function apply(next) {
    const previous = fault;
    fault = next;
    held.release();
    if (next.kind === 'stop') {
      if (previous.kind !== 'stop') await stopStream();
      return;
    }
    // `quiet`: the server says nothing, as most servers do; only the frames stop.
    if (next.kind === 'publisher-gone') return stopPublisher(!next.quiet);
    if (next.kind === 'cut') cutSessions();
    if (next.kind === 'move') moveSessions();
    if (next.kind === 'reconnect') broadcast('reconnect', next.url ? { url: next.url } : {});
    await ensurePublisher();
  }

  /**
   * The refusal under the current fault for a POST, or null to proceed.
   * @param {string | undefined} auth
   * @returns {Reply | 'hold' | null}
   */
  function refusal(auth) {
    const retry = { 'Retry-After': String(fault.retryAfter ?? DEFAULT_RETRY_AFTER) };
    switch (fault.kind) {
      case 'require-token':
        return auth === `Bearer ${fault.token}`
          ? null
          : { status: 401, body: 'unauthorized\n', headers: { 'WWW-Authenticate': 'Bearer' } };
      case 'hang':
        return 'hold';
      case 'stop':
        return { status: 404, body: 'stream stopped\n' };
      case 'post-404':
        return { status: 404, body: 'fault: post-404\n' };
      case 'post-503':
        return { status: 503, body: 'fault: post-503\n', headers: retry };
      case 'post-409':
        return { status: 409, body: 'fault: post-409 (not live yet)\n', headers: retry };
      case 'publisher-gone':
        return fault.post === 201 ? null : { status: 404, body: 'no publisher\n' };
      default:
        return null;
    }
  }

  return {
    name,
    colour,
    sessions,
    get fault() {
      return { ...fault };
    },
    get publisherRunning() {
      return publisher != null;
    },
    stats: () => ({ packets, lastPacketAt, publisher: publisher != null, inactiveSentAt }),
    openCount: () => openList().length,
    refusal,
    createSession,
    createCounterOfferSession,
    completeCounterOffer,
    restartIce,
    endSession,
    hold: held.hold,
    /** Opens an SSE stream on a session and sends the current state. @param {Session} s @param {Response} res */
    subscribe(s, res) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': whep events\n\n');
      s.sse.add(res);
      res.on('close', () => s.sse.delete(res));
      if (publisher && announcedActive) writeEvent(res, 'active', {});
      else if (!publisher) writeEvent(res, 'inactive', {});
    },
    async start() {
      udpPort = await kit.bindUdp(udp, ctx.host);
      await ensurePublisher();
    },
    /** @param {Fault} next @returns {Promise<Fault>} */
    setFault(next) {
      const done = queue.then(() => apply(next)).then(() => ({ ...fault }));
      queue = done.then(
        () => undefined,
        () => undefined,
      );
      return done;
    },
    /** Forgets closed sessions (open ones stay). */
    forgetClosed() {
      for (const [id, s] of sessions) if (s.closedAt) sessions.delete(id);
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      held.release();
      await stopPublisher(false);
      await Promise.all(openList().map((s) => endSession(s, 'server')));
      for (const wake of packetWaiters) wake();
      udp.close();
    },
  };
}

/** @typedef {ReturnType<typeof createStream>} Stream */

// ---------------------------------------------------------------------------------------------
// HTTP routing

/**
 * @typedef {object} Deps
 * @property {Map<string, Stream>} streams
 * @property {WhepServer} api
 */

/**
 * @typedef {object} Endpoint
 * @property {string} origin          this server's own address (`http://127.0.0.1:PORT`)
 * @property {URLSearchParams} query  the request's query
 * @property {string} stunUrl         this server's STUN server (`stun:127.0.0.1:PORT`)
 */

/**
 * WHEP requests: POST endpoint (or its 307 redirect), DELETE/PATCH session, SSE.
 * @param {Request} req
 * @param {Response} res
 * @param {Stream} stream
 * @param {string[]} rest   path segments after /whep/<stream>
 * @param {Endpoint} endpoint
 * @returns {Promise<Reply | 'held' | 'streaming'>}
 */
async function routeWhep(req, res, stream, rest, endpoint) {
  const method = req.method ?? 'GET';
  if (rest.length === 1 && rest[0] === 'redirect') {
    if (method !== 'POST') return { status: 405, body: 'method not allowed\n', headers: { Allow: 'POST, OPTIONS' } };
    const search = endpoint.query.size ? `?${endpoint.query}` : '';
    return { status: 307, headers: { Location: `${endpoint.origin}/whep/${stream.name}${search}` } };
  }
  // `/whep/<stream>/alias`: the same endpoint under another URL (a `reconnect` target).
  if (rest.length === 0 || (rest.length === 1 && rest[0] === 'alias')) {
    if (method !== 'POST') return { status: 405, body: 'method not allowed\n', headers: { Allow: 'POST, OPTIONS' } };
    return postOffer(req, res, stream, endpoint);
  }
  if (rest[0] !== 'sessions' || !rest[1]) return { status: 404, body: 'not found\n' };
  const session = stream.sessions.get(rest[1]);
  if (!session || session.closedAt) return { status: 404, body: 'no such session\n' };
  if (rest.length === 3 && rest[2] === 'sse') return sse(req, res, stream, session);
  if (rest.length !== 2) return { status: 404, body: 'not found\n' };
  if (method === 'DELETE') {
    await stream.endSession(session, 'delete');
    return { status: 200 };
  }
  if (method === 'PATCH') return patchSession(req, stream, session);
  return { status: 405, body: 'method not allowed\n', headers: { Allow: 'DELETE, PATCH, OPTIONS' } };
}

/**
 * @param {Request} req
 * @param {Response} res
 * @param {Stream} stream
 * @param {Endpoint} endpoint
 * @returns {Promise<Reply | 'held'>}
 */
async function postOffer(req, res, stream, endpoint) {
  const links = (/** @type {string} */ location) =>
    [sseLink(location), ...(endpoint.query.get('ice-server') === 'stun' ? [`<${endpoint.stunUrl}>; rel="ice-server"`] : [])].join(
      ', ',
    );
  if (!/^application\/sdp\b/i.test(req.headers['content-type'] ?? '')) {
    return { status: 415, body: 'Content-Type must be application/sdp\n' };
  }
  const refused = stream.refusal(req.headers.authorization);
  if (refused === 'hold') {
    stream.hold(res);
    return 'held';
  }
  if (refused) return refused;
  const offer = await kit.readBody(req, BODY_LIMIT);
  if (!offer.startsWith('v=0')) return { status: 400, body: 'body is not an SDP offer\n' };
  if (stream.fault.kind === 'offer-406') {
    // The draft's counter-offer: 406, the server's own offer, and the session's Location;
    // valid 30 s (no valid-until parameter).
    const { session, offer: counter } = await stream.createCounterOfferSession();
    const location = locationOf(session);
    return {
      status: 406,
      type: 'application/sdp',
      body: counter,
      headers: { Location: location, ETag: session.etag, Link: links(location) },
    };
  }
  const { session, answer } = await stream.createSession(offer);
  const location = locationOf(session);
  return {
    status: 201,
    type: 'application/sdp',
    body: answer,
    headers: { Location: location, ETag: session.etag, Link: links(location) },
  };
}

/** @param {string} location */
const sseLink = (location) => `<${location}/sse>; rel="${SSE_REL}"; events="active,inactive,reconnect"`;

/**
 * PATCH on a session (draft-ietf-wish-whep):
 * - `application/sdp` completes a 406 counter-offer with the client's answer: 204;
 * - `application/trickle-ice-sdpfrag` with new ice-ufrag/ice-pwd is an ICE restart
 *   (`If-Match: *`): 200 with the server's new sdpfrag and a new ETag; 422 for a
 *   counter-offer session (the roles would be reversed; not supported by this server);
 * - an sdpfrag with the current credentials (or none) is trickle: its candidates go to the
 *   peer connection, 204.
 * `no-patch` answers every PATCH 405 (or its `status`), as a server without PATCH support.
 * @param {Request} req
 * @param {Stream} stream
 * @param {Session} session
 * @returns {Promise<Reply>}
 */
async function patchSession(req, stream, session) {
  const fault = stream.fault;
  if (fault.kind === 'no-patch') {
    const status = fault.status ?? 405;
    return { status, body: 'fault: no-patch\n', headers: status === 405 ? { Allow: 'DELETE, OPTIONS' } : {} };
  }
  const type = req.headers['content-type'] ?? '';
  const body = await kit.readBody(req, BODY_LIMIT);
  if (/^application\/sdp\b/i.test(type)) {
    if (!session.counterOffer || session.answered) return { status: 409, body: 'no counter-offer waiting for an answer\n' };
    if (!body.startsWith('v=0')) return { status: 400, body: 'body is not an SDP answer\n' };
    await stream.completeCounterOffer(session, body);
    return { status: 204 };
  }
  if (!/^application\/trickle-ice-sdpfrag\b/i.test(type)) {
    return { status: 415, body: 'Content-Type must be application/trickle-ice-sdpfrag or application/sdp\n' };
  }
  const ifMatch = (req.headers['if-match'] ?? '').trim();
  const frag = parseSdpFrag(body);
  const current = currentRemoteIce(session);
  const restart = frag.ufrag != null && frag.pwd != null && (frag.ufrag !== current.ufrag || frag.pwd !== current.pwd);
  if (restart) {
    // RFC 9110 13.1.1: `*` (the draft's example quotes it; both are taken).
    if (ifMatch !== '*' && ifMatch !== '"*"') return { status: ifMatch ? 412 : 428, body: 'an ICE restart needs If-Match: *\n' };
    if (!session.pc || session.counterOffer) return { status: 422, body: 'ICE restart not supported on this session\n' };
    const run = session.patching.then(() => stream.restartIce(session, frag));
    session.patching = run.then(
      () => undefined,
      () => undefined,
    );
    const answer = await run;
    return { status: 200, type: 'application/trickle-ice-sdpfrag', body: answer, headers: { ETag: session.etag } };
  }
  if (ifMatch && ifMatch !== '*' && ifMatch !== '"*"' && ifMatch !== session.etag) return { status: 412, body: 'ETag mismatch\n' };
  if (session.pc && !session.cut) {
    for (const candidate of frag.candidates) {
      await session.pc.addIceCandidate({ candidate, sdpMLineIndex: 0 }).catch(() => {});
    }
  }
  return { status: 204 };
}

/**
 * The client's ICE credentials the session knows.
 * @param {Session} session
 */
function currentRemoteIce(session) {
  return {
    ufrag: /a=ice-ufrag:(\S+)/.exec(session.remoteSdp)?.[1] ?? null,
    pwd: /a=ice-pwd:(\S+)/.exec(session.remoteSdp)?.[1] ?? null,
  };
}

/**
 * The SSE extension: GET streams events; POST (the draft's subscription step) answers 201
 * with the same URL as Location.
 * @param {Request} req
 * @param {Response} res
 * @param {Stream} stream
 * @param {Session} session
 * @returns {Reply | 'streaming'}
 */
function sse(req, res, stream, session) {
  if (req.method === 'POST') return { status: 201, headers: { Location: `${locationOf(session)}/sse` } };
  if (req.method !== 'GET') return { status: 405, body: 'method not allowed\n' };
  stream.subscribe(session, res);
  return 'streaming';
}

/**
 * Control API: the kit's (faults, reset, log, health), open sessions and the optional status
 * endpoint of a stream.
 * @param {Request} req
 * @param {URL} url
 * @param {Deps} deps
 * @returns {Promise<Reply>}
 */
async function routeControl(req, url, { streams, api }) {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/sessions') {
    const counts = Object.fromEntries([...streams.keys()].map((n) => [n, api.openSessions(n)]));
    return kit.json({ total: api.openSessions(), ...counts, sessions: api.sessions() });
  }
  // The optional status endpoint a player can be pointed at (`primary-status`).
  const status = /^\/status\/([\w-]+)$/.exec(path);
  if (status) {
    const named = streams.get(status[1]);
    if (!named) return kit.json({ error: `unknown stream '${status[1]}'` }, 404);
    return kit.json({ status: streamStatus(api.getFault(named.name)) });
  }
  const reply = await kit.routeControl(req, url, {
    reset: api.reset,
    log: ({ stream, since }) => api.log({ stream, since }),
    list: () => [...streams.values()].map((s) => describeStream(s, api)),
    has: (name) => streams.has(name),
    setFault: (name, input) => api.setFault(name, normaliseFault(input)),
    describe: (name) => describeStream(/** @type {Stream} */ (streams.get(name)), api),
  });
  return reply ?? kit.json({ error: 'not found' }, 404);
}

/** What the status endpoint says of a stream with this fault. @param {Fault} fault */
function streamStatus(fault) {
  if (fault.kind === 'stop') return 'stopped';
  if (['publisher-gone', 'post-404', 'post-503', 'post-409'].includes(fault.kind)) return 'offline';
  return 'live';
}

/** @param {Stream} s @param {WhepServer} api */
function describeStream(s, api) {
  return {
    stream: s.name,
    colour: s.colour,
    url: api.streams[s.name].url,
    ...publicFault(s.fault),
    ...s.stats(),
    open: s.openCount(),
  };
}

// ---------------------------------------------------------------------------------------------
// The server

/**
 * Starts the publishers and the HTTP server; resolves once every publisher sends RTP.
 * @param {WhepOptions} [options]
 * @returns {Promise<WhepServer>}
 */
export async function startWhepServer(options = {}) {
  const { host = '127.0.0.1', port = 0, logLimit = 10000 } = options;
  const tag = options.tag ?? `live-player-whep-${process.pid}-${newId()}`;
  const specs = Object.entries(options.streams ?? DEFAULT_STREAMS);
  for (const [name] of specs) {
    if (!/^[\w-]+$/.test(name)) throw new Error(`stream name '${name}' must be URL-safe ([A-Za-z0-9_-])`);
  }

  const blackhole = createSocket('udp4');
  blackhole.on('message', () => {});
  const blackholePort = await kit.bindUdp(blackhole, host);

  /** @type {Map<string, Stream>} */
  const streams = new Map(specs.map(([name, colour]) => [name, createStream(name, colour, { host, tag, blackholePort })]));

  /** @type {ReturnType<typeof kit.requestLog<LogEntry>>} */
  const requests = kit.requestLog(logLimit);
  const stun = await startStunServer(host, (from) =>
    requests.record({ t: Date.now(), stream: '', method: 'STUN', path: 'binding', status: 200, token: false, ms: 0, host: from }),
  );

  const server = createServer((req, res) => handle(req, res));
  const sockets = kit.trackSockets(server);
  // SSE comments keep idle event streams (and proxies in front of them) alive.
  const keepalive = setInterval(() => {
    for (const s of streams.values())
      for (const session of s.sessions.values()) for (const res of session.sse) res.write(': keepalive\n\n');
  }, SSE_KEEPALIVE_MS);
  keepalive.unref();

  /** @param {string} name */
  const streamNamed = (name) => {
    const stream = streams.get(name);
    if (!stream) throw new Error(`unknown stream '${name}' (have ${[...streams.keys()].join(', ')})`);
    return stream;
  };

  /**
   * @param {Request} req
   * @param {Response} res
   */
  async function handle(req, res) {
    setCorsHeaders(res);
    const url = new URL(req.url ?? '/', 'http://whep');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (req.method === 'OPTIONS') return kit.send(res, { status: 204 });
      if (parts[0] !== 'whep') return kit.send(res, await routeControl(req, url, { streams, api }));
      const stream = streams.get(parts[1] ?? '');
      /** @type {LogEntry} */
      const entry = {
        t: Date.now(),
        stream: parts[1] ?? '',
        method: req.method ?? 'GET',
        path: url.pathname,
        status: 0,
        token: /^Bearer\s/i.test(req.headers.authorization ?? ''),
        ms: 0,
        host: req.headers.host ?? '',
      };
      requests.record(entry);
      res.on('finish', () => {
        entry.status = res.statusCode;
        entry.ms = Date.now() - entry.t;
      });
      if (!stream) return kit.send(res, { status: 404, body: 'unknown stream\n' });
      const reply = await routeWhep(req, res, stream, parts.slice(2), {
        origin: api.url,
        query: url.searchParams,
        stunUrl: stun.url,
      });
      if (typeof reply === 'object') kit.send(res, reply);
      if (reply === 'streaming') entry.status = res.statusCode; // SSE: logged as opened
    } catch (err) {
      kit.sendError(res, err);
    }
  }

  /** @type {Promise<void> | null} */
  let closing = null;
  /** Idempotent: later calls wait for the first. */
  async function closeAll() {
    clearInterval(keepalive);
    await Promise.all([kit.shut(server, sockets), ...[...streams.values()].map((s) => s.close())]);
    blackhole.close();
    stun.close();
  }

  /** @type {WhepServer} */
  const api = {
    url: '',
    tag,
    streams: {},
    setFault: async (name, fault) => publicFault(await streamNamed(name).setFault(normaliseFault(fault))),
    getFault: (name) => publicFault(streamNamed(name).fault),
    async reset() {
      await Promise.all([...streams.values()].map((s) => s.setFault({ kind: 'none' })));
      for (const s of streams.values()) s.forgetClosed();
      requests.clear();
    },
    openSessions: (name) =>
      name == null ? [...streams.values()].reduce((n, s) => n + s.openCount(), 0) : streamNamed(name).openCount(),
    sessions: ({ stream } = {}) =>
      [...streams.values()]
        .filter((s) => stream == null || s.name === stream)
        .flatMap((s) => [...s.sessions.values()].map(describeSession)),
    stats: (name) => streamNamed(name).stats(),
    log: ({ stream, since } = {}) => requests.read({ stream, since }),
    close: () => (closing ??= closeAll()),
  };

  try {
    await Promise.all([...streams.values()].map((s) => s.start()));
    const bound = await kit.listen(server, port, host);
    api.url = `http://${host}:${bound}`;
    api.streams = Object.fromEntries(specs.map(([name, colour]) => [name, { name, colour, url: `${api.url}/whep/${name}` }]));
  } catch (err) {
    await api.close();
    throw err;
  }
  return api;
}

// ---------------------------------------------------------------------------------------------
// Standalone

if (kit.isMain(import.meta.url)) {
  const whep = await startWhepServer({
    host: kit.arg('host') ?? '127.0.0.1',
    port: Number(kit.arg('port') ?? process.env.WHEP_PORT ?? 8500),
  });
  console.log(`control   ${whep.url}  (POST /control/<stream>, GET /reset, /log, /sessions)`);
  for (const s of Object.values(whep.streams)) console.log(`${s.name.padEnd(9)} ${s.url}  (${s.colour}, VP8)`);
  kit.closeOnSignal(whep);
}
