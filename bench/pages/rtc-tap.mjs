// WebRTC byte counter for the player page: wraps RTCPeerConnection and fetch before the
// element loads so each peer connection can be tied to the WHEP endpoint its offer was POSTed
// to (matched by ICE ufrag), and polls getStats() so bytes received survive the connection
// being closed. The bench uses it for the standby cost of a WHEP fallback.

/** @typedef {{ url: string | null, createdAt: number, closedAt: number | null, samples: { t: number, bytes: number }[] }} PcRecord */

/** @type {{ pc: RTCPeerConnection, rec: PcRecord }[]} */
const pcs = [];
/** @type {Map<string, string>} ufrag -> WHEP endpoint */
const offers = new Map();

const ufragOf = (/** @type {string | undefined} */ sdp) => sdp?.match(/a=ice-ufrag:(\S+)/)?.[1] ?? null;

const NativePc = window.RTCPeerConnection;
window.RTCPeerConnection = class TappedPeerConnection extends NativePc {
  /** @param {RTCConfiguration} [config] */
  constructor(config) {
    super(config);
    pcs.push({ pc: this, rec: { url: null, createdAt: performance.now(), closedAt: null, samples: [] } });
  }
};

const nativeFetch = window.fetch.bind(window);
window.fetch = (input, init) => {
  const body = init?.body;
  if (init?.method?.toUpperCase() === 'POST' && typeof body === 'string' && body.startsWith('v=0')) {
    const ufrag = ufragOf(body);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (ufrag) offers.set(ufrag, new URL(url, location.href).href);
  }
  return nativeFetch(input, init);
};

async function poll() {
  for (const { pc, rec } of pcs) {
    if (rec.closedAt != null) continue;
    rec.url ??= offers.get(ufragOf(pc.localDescription?.sdp) ?? '') ?? null;
    if (pc.connectionState === 'closed' || pc.signalingState === 'closed') {
      rec.closedAt = performance.now();
      continue;
    }
    try {
      let bytes = 0;
      (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') bytes += s.bytesReceived ?? 0; });
      rec.samples.push({ t: performance.now(), bytes });
    } catch {
      rec.closedAt = performance.now();
    }
  }
}
setInterval(poll, 500);

/** Every peer connection seen, with its WHEP endpoint and byte samples. */
export function rtcSnapshot() {
  return pcs.map(({ rec }) => rec);
}
