// WebRTC tap for the player page: wraps RTCPeerConnection and fetch before the element loads
// so each peer connection can be tied to the WHEP endpoint its offer was POSTed to (matched by
// ICE ufrag), and polls getStats() so bytes received survive the connection being closed. The
// bench uses it for the standby cost of a WHEP fallback, and for the timeline of a WHEP session
// (where the time of a cold WHEP switch goes): when the POST went out and its answer came
// back, every ICE and connection (DTLS) state change, and the first decoded video frame.
// Every time is performance.now() ms.

/**
 * @typedef {object} PcRecord
 * @property {string | null} url        the WHEP endpoint its offer was POSTed to
 * @property {number} createdAt
 * @property {number | null} closedAt
 * @property {{ t: number, bytes: number }[]} samples
 * @property {{ sentAt: number, answeredAt: number | null, status: number | null } | null} post
 * @property {{ t: number, state: string }[]} ice          iceconnectionstatechange
 * @property {{ t: number, state: string }[]} connection   connectionstatechange (DTLS included)
 * @property {number | null} firstDecodedAt  first getStats() sample with framesDecoded > 0
 *           (polled every FIRST_FRAME_POLL_MS while connected: an upper bound by that much)
 * @property {number | null} lastZeroAt      the sample before it (framesDecoded still 0)
 */

/** @type {{ pc: RTCPeerConnection, rec: PcRecord }[]} */
const pcs = [];
/** @type {Map<string, string>} ufrag -> WHEP endpoint */
const offers = new Map();
/** @type {Map<string, NonNullable<PcRecord['post']>>} ufrag -> the POST of that offer */
const posts = new Map();
const FIRST_FRAME_POLL_MS = 20;

const ufragOf = (/** @type {string | undefined} */ sdp) => sdp?.match(/a=ice-ufrag:(\S+)/)?.[1] ?? null;

/** Polls a connected peer connection's decoded frames until the first one (cheap: ~1 s at most). */
async function watchFirstFrame(/** @type {RTCPeerConnection} */ pc, /** @type {PcRecord} */ rec) {
  while (rec.firstDecodedAt == null && rec.closedAt == null && pc.connectionState !== 'closed') {
    const before = performance.now();
    let frames = 0;
    try {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
      });
    } catch {
      return;
    }
    if (frames > 0) {
      rec.firstDecodedAt = before;
      return;
    }
    rec.lastZeroAt = before;
    await new Promise((done) => setTimeout(done, FIRST_FRAME_POLL_MS));
  }
}

const NativePc = window.RTCPeerConnection;
window.RTCPeerConnection = class TappedPeerConnection extends NativePc {
  /** @param {RTCConfiguration} [config] */
  constructor(config) {
    super(config);
    /** @type {PcRecord} */
    const rec = {
      url: null,
      createdAt: performance.now(),
      closedAt: null,
      samples: [],
      post: null,
      ice: [],
      connection: [],
      firstDecodedAt: null,
      lastZeroAt: null,
    };
    pcs.push({ pc: this, rec });
    this.addEventListener('iceconnectionstatechange', () => rec.ice.push({ t: performance.now(), state: this.iceConnectionState }));
    this.addEventListener('connectionstatechange', () => {
      rec.connection.push({ t: performance.now(), state: this.connectionState });
      if (this.connectionState === 'connected' && rec.firstDecodedAt == null) void watchFirstFrame(this, rec);
    });
  }
};

const nativeFetch = window.fetch.bind(window);
window.fetch = (input, init) => {
  const body = init?.body;
  if (init?.method?.toUpperCase() === 'POST' && typeof body === 'string' && body.startsWith('v=0')) {
    const ufrag = ufragOf(body);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (ufrag) {
      offers.set(ufrag, new URL(url, location.href).href);
      /** @type {NonNullable<PcRecord['post']>} */
      const post = { sentAt: performance.now(), answeredAt: null, status: null };
      posts.set(ufrag, post);
      const answer = nativeFetch(input, init);
      answer.then(
        (response) => {
          post.answeredAt = performance.now();
          post.status = response.status;
        },
        () => {
          post.answeredAt = performance.now();
        },
      );
      return answer;
    }
  }
  return nativeFetch(input, init);
};

/** Ties a peer connection to its offer's endpoint and POST (once its local description exists). */
function tie(/** @type {RTCPeerConnection} */ pc, /** @type {PcRecord} */ rec) {
  const ufrag = ufragOf(pc.localDescription?.sdp) ?? '';
  rec.url ??= offers.get(ufrag) ?? null;
  rec.post ??= posts.get(ufrag) ?? null;
}

async function poll() {
  for (const { pc, rec } of pcs) {
    if (rec.closedAt != null) continue;
    tie(pc, rec);
    if (pc.connectionState === 'closed' || pc.signalingState === 'closed') {
      rec.closedAt = performance.now();
      continue;
    }
    try {
      let bytes = 0;
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp') bytes += s.bytesReceived ?? 0;
      });
      rec.samples.push({ t: performance.now(), bytes });
    } catch {
      rec.closedAt = performance.now();
    }
  }
}
setInterval(poll, 500);

/** Every peer connection seen, with its WHEP endpoint, byte samples and timeline. */
export function rtcSnapshot() {
  for (const { pc, rec } of pcs) tie(pc, rec);
  return pcs.map(({ rec }) => rec);
}
