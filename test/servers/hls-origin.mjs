// Live HLS test origin: serves each configured stream (a looping 8 s colour clip from
// test/media) as a wall-clock-driven live sliding-window playlist through several edges (CDNs,
// default `a` and `b`), each on its own port, with fault injection driven from JS or from a
// CORS-enabled HTTP control server, plus a request log.
//   Every edge of a stream serves the same live timeline (same media sequence numbers, same
//   segments): the encoder is the stream's, the delivery is the edge's. So faults come in two
//   kinds:
//   encoder faults, per stream, seen on every edge: freeze (the playlist stops advancing),
//     endlist (frozen with #EXT-X-ENDLIST: the encoder was stopped), gap (the playlist goes on
//     but every new segment is tagged #EXT-X-GAP: the packager has no media for it).
//   delivery faults, per edge (or on every edge of the stream when no edge is named): 404, 503,
//     refuse, hang, hang-playlist, hang-segments, slow, slow-segments, corrupt, cors.
//   hang: every request held; hang-playlist: playlists held, init and segments served;
//   hang-segments: init and segments held, playlists served; slow: every response delayed;
//   slow-segments: init and segments delayed, playlists on time; corrupt: segments are
//   garbage bytes of the real segment's length (playlist and init fine); cors: every
//   response (preflights too) without Access-Control-Allow-Origin, so a browser refuses it.
//   A fault set without an edge is the whole stream's state from then on (the encoder's and
//   every edge's, as when a stream had a single fault); one set with an edge changes only that
//   edge's delivery. `none` without an edge clears everything of the stream.
// Used by the browser tests, the demo page and the benchmark.
//
//   node test/servers/hls-origin.mjs [--host 127.0.0.1] [--control-port 8400]
//     edge a of the streams gets control-port+1, +2, +3, edge b +4, +5, +6 (all free ports
//     with --control-port 0); Ctrl-C stops.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as kit from './http-kit.mjs';
import { MEDIA_DIR, ensureMedia, parseFragment, parseInit, readMeta } from './make-media.mjs';

/** @typedef {import('node:http').IncomingMessage} Request */
/** @typedef {import('node:http').ServerResponse} Response */
/** @typedef {import('./http-kit.mjs').Reply} Reply */

/**
 * @typedef {'none' | '404' | '503' | 'refuse' | 'hang' | 'hang-playlist' | 'hang-segments' | 'slow' | 'slow-segments' | 'freeze' | 'endlist' | 'corrupt' | 'cors' | 'gap'} FaultKind
 *
 * @typedef {object} Fault
 * @property {FaultKind} kind
 * @property {number} [ms]          `slow`, `slow-segments`: delay before each response (default 3000)
 * @property {number} [retryAfter]  `503`: seconds for the Retry-After header
 *
 * @typedef {object} StreamFault  a stream's state as one fault (getFault without an edge)
 * @property {FaultKind | 'mixed'} kind  the encoder's fault when every edge delivers it as is,
 *           the delivery fault every edge shares when the encoder is fine, else 'mixed' (the
 *           edges differ, or the encoder and the edges each have a fault: ask per edge)
 * @property {number} [ms]
 * @property {number} [retryAfter]
 *
 * @typedef {object} EdgeOption
 * @property {string} [edge]  an edge's name; without it, a fault is the whole stream's
 *
 * @typedef {'playlist' | 'init' | 'segment' | 'other'} RequestKind
 *
 * @typedef {object} LogEntry
 * @property {number} t           epoch ms when the edge received the request
 * @property {string} stream
 * @property {string} edge
 * @property {RequestKind} kind
 * @property {string} path
 * @property {number} status      0 when the request was held (hang) and never answered
 *
 * @typedef {object} EdgeInfo
 * @property {number} port
 * @property {string} url         the live media playlist through this edge
 *
 * @typedef {object} StreamInfo
 * @property {string} name
 * @property {string} colour
 * @property {number} port        the first edge's (`a` by default)
 * @property {string} url         the live media playlist through the first edge
 * @property {Record<string, EdgeInfo>} edges  every edge, in order
 *
 * @typedef {object} StreamSpec
 * @property {string} colour
 * @property {number} [port]                    the first edge's fixed port
 * @property {Record<string, number>} [ports]   fixed ports by edge name (wins over `port`)
 *
 * @typedef {object} OriginOptions
 * @property {string} [host]          default '127.0.0.1'
 * @property {number} [controlPort]   default 0 (a free port)
 * @property {Record<string, string | StreamSpec>} [streams]
 *           stream name -> colour (or colour + fixed ports); default primary red, fallback blue, spare green
 * @property {string[]} [edges]       edge names (URL-safe, at least one), default ['a', 'b']
 * @property {number} [startTime]     epoch ms at which segment 0 of every stream began; default
 *           now - windowSize s, so the first playlist already holds a full window
 * @property {number} [windowSize]    segments per playlist, default 4
 * @property {number} [logLimit]      newest entries kept in the request log, default 10000
 *
 * @typedef {object} Origin
 * @property {string} controlUrl
 * @property {string} posterUrl
 * @property {Record<string, StreamInfo>} streams
 * @property {string[]} edges
 * @property {number} startTime
 * @property {(stream: string, fault: Fault | FaultKind, options?: EdgeOption) => Promise<Fault | StreamFault>} setFault
 *           resolves with getFault(stream, options) once the listeners match the fault
 * @property {(stream: string, options?: EdgeOption) => Fault | StreamFault} getFault
 *           with an edge: that edge's delivery fault; without: the stream's state as one fault
 * @property {() => Promise<void>} reset
 * @property {(filter?: { stream?: string, edge?: string, since?: number }) => LogEntry[]} log
 * @property {() => Promise<void>} close
 */

/** @type {readonly FaultKind[]} */
export const FAULT_KINDS = [
  'none',
  '404',
  '503',
  'refuse',
  'hang',
  'hang-playlist',
  'hang-segments',
  'slow',
  'slow-segments',
  'freeze',
  'endlist',
  'corrupt',
  'cors',
  'gap',
];
/** Faults of the stream's encoder, which every edge shows; the rest are an edge's delivery. */
export const ENCODER_FAULT_KINDS = /** @type {readonly FaultKind[]} */ (['freeze', 'endlist', 'gap']);
const DEFAULT_STREAMS = { primary: 'red', fallback: 'blue', spare: 'green' };
const DEFAULT_EDGES = ['a', 'b'];
/** @type {Readonly<Fault>} */
const NO_FAULT = Object.freeze({ kind: 'none' });
const DEFAULT_SLOW_MS = 3000;

// ---------------------------------------------------------------------------------------------
// Media: the source loop and the per-sequence-number rewrite

/**
 * @typedef {object} Loop
 * @property {import('./make-media.mjs').MediaMeta} meta
 * @property {Buffer} init
 * @property {{ buf: Buffer, layout: import('./make-media.mjs').FragmentLayout }[]} segments
 * @property {Map<number, number>} loopByTrack   loop duration per track id, in its timescale
 * @property {Map<number, number>} loopByTimescale  loop duration per timescale (for sidx)
 * @property {number} segmentMs
 */

/**
 * Loads one colour's loop and finds the fields to rewrite in each fragment.
 * @param {string} colour
 * @returns {Promise<Loop>}
 */
async function loadLoop(colour) {
  const dir = join(MEDIA_DIR, colour);
  const meta = await readMeta(colour);
  const init = await readFile(join(dir, meta.init));
  const defaults = new Map(parseInit(init).tracks.map((t) => [t.id, t.defaultSampleDuration]));
  const segments = await Promise.all(
    meta.segments.map(async ({ file }) => {
      const buf = await readFile(join(dir, file));
      return { buf, layout: parseFragment(buf, defaults) };
    }),
  );
  return {
    meta,
    init,
    segments,
    loopByTrack: new Map(meta.tracks.map((t) => [t.id, t.loopDuration])),
    loopByTimescale: new Map(meta.tracks.map((t) => [t.timescale, t.loopDuration])),
    segmentMs: meta.segmentDuration * 1000,
  };
}

/**
 * Writes an unsigned 32/64-bit field; a 32-bit field wraps, as a real encoder's would.
 * @param {Buffer} buf
 * @param {number} offset
 * @param {boolean} wide
 * @param {number} value
 */
function writeUint(buf, offset, wide, value) {
  if (wide) buf.writeBigUInt64BE(BigInt(value), offset);
  else buf.writeUInt32BE(value % 2 ** 32, offset);
}

/**
 * Bytes of absolute segment n: source fragment n % count, moved forward by floor(n / count)
 * loops on every track, so decode times keep rising across the seam (no discontinuity needed).
 * @param {Loop} loop
 * @param {number} n
 */
function renderSegment(loop, n) {
  const count = loop.segments.length;
  const loops = Math.floor(n / count);
  const { buf, layout } = loop.segments[n % count];
  const out = Buffer.from(buf);
  for (const f of layout.tfdt) writeUint(out, f.offset, f.wide, f.value + loops * (loop.loopByTrack.get(f.trackId) ?? 0));
  for (const s of layout.sidx) writeUint(out, s.offset, s.wide, s.value + loops * (loop.loopByTimescale.get(s.timescale) ?? 0));
  for (const offset of layout.mfhd) out.writeUInt32BE((n + 1) % 2 ** 32, offset);
  return out;
}

/**
 * Garbage of a segment's length (the `corrupt` fault): deterministic per sequence number, no
 * valid box structure, as if a broken packager or a bad cache had served it.
 * @param {number} length
 * @param {number} n
 */
function garbage(length, n) {
  const out = Buffer.alloc(length);
  let x = (n * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Live timeline

/**
 * @typedef {object} Window
 * @property {number} first  first media sequence number listed
 * @property {number} last   last one listed (last < first: nothing published yet)
 */

/**
 * The sliding window at `now`: segment n is published once now >= startTime + (n + 1) * segment.
 * @param {number} startTime
 * @param {number} now
 * @param {number} segmentMs
 * @param {number} size
 * @returns {Window}
 */
function liveWindow(startTime, now, segmentMs, size) {
  const last = Math.floor((now - startTime) / segmentMs) - 1;
  return { first: Math.max(0, last - size + 1), last };
}

/**
 * The media playlist for a window.
 * @param {Window} win
 * @param {number} startTime
 * @param {number} segmentMs
 * @param {boolean} endlist
 */
function playlistText(win, startTime, segmentMs, endlist, gapFrom = Infinity) {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${Math.ceil(segmentMs / 1000)}`,
    `#EXT-X-MEDIA-SEQUENCE:${win.first}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-MAP:URI="init.mp4"',
  ];
  for (let n = win.first; n <= win.last; n++) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(startTime + n * segmentMs).toISOString()}`);
    // RFC 8216bis 4.4.4.7: the packager had no media for this segment; clients must not load it.
    if (n >= gapFrom) lines.push('#EXT-X-GAP');
    lines.push(`#EXTINF:${(segmentMs / 1000).toFixed(3)},`, `seg-${n}.m4s`);
  }
  if (endlist) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Faults and paths

const setCorsHeaders = kit.corsHeaders({
  methods: 'GET, HEAD, POST, OPTIONS',
  allowHeaders: 'Content-Type',
  exposeHeaders: 'Retry-After',
});

/**
 * Normalises a fault from JS, JSON or query parameters; throws on an unknown kind.
 * @param {Fault | FaultKind | Record<string, unknown>} input
 * @returns {Fault}
 */
function normaliseFault(input) {
  const raw = typeof input === 'string' ? { kind: input } : input;
  const kind = /** @type {FaultKind} */ (String(raw.kind ?? 'none'));
  if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind '${kind}' (one of ${FAULT_KINDS.join(', ')})`);
  /** @type {Fault} */
  const fault = { kind };
  if (kind === 'slow' || kind === 'slow-segments') fault.ms = raw.ms == null || raw.ms === '' ? DEFAULT_SLOW_MS : Number(raw.ms);
  if (kind === '503' && raw.retryAfter != null && raw.retryAfter !== '') fault.retryAfter = Number(raw.retryAfter);
  if (Number.isNaN(fault.ms) || Number.isNaN(fault.retryAfter)) throw new Error('ms and retryAfter must be numbers');
  return fault;
}

/**
 * @param {string} path
 * @returns {RequestKind}
 */
function classify(path) {
  if (path === '/live/index.m3u8') return 'playlist';
  if (path === '/live/init.mp4') return 'init';
  if (/^\/live\/seg-\d+\.m4s$/.test(path)) return 'segment';
  return 'other';
}

/**
 * The sequence number in a segment's path (`/live/seg-<n>.m4s`).
 * @param {string} path
 */
function segmentNumber(path) {
  return Number(path.slice('/live/seg-'.length, -'.m4s'.length));
}

/**
 * Two faults with the same effect.
 * @param {Fault} a
 * @param {Fault} b
 */
function sameFault(a, b) {
  return a.kind === b.kind && a.ms === b.ms && a.retryAfter === b.retryAfter;
}

// ---------------------------------------------------------------------------------------------
// One stream: its encoder (what is published) and its edges (who delivers it)

/**
 * @typedef {object} StreamContext  what a stream shares with the rest of the origin
 * @property {string} host
 * @property {number} startTime
 * @property {number} windowSize
 * @property {(entry: LogEntry) => void} record
 */

/**
 * What a healthy edge answers for a request: the stream's content as its encoder has published
 * it so far. One function per stream, shared by its edges, so they cannot drift apart.
 * @callback Content
 * @param {RequestKind} kind
 * @param {string} path
 * @returns {Reply}
 */

/**
 * One edge of a stream: a listener with its own delivery fault in front of the stream's content.
 * Its fault changes only through its stream (which serialises them), by `apply`.
 * @param {string} stream
 * @param {string} name
 * @param {Content} content
 * @param {StreamContext} ctx
 */
function createEdge(stream, name, content, ctx) {
  /** @type {Fault} */
  let fault = NO_FAULT;
  let port = 0;
  /** Requests held by hang / hang-playlist / hang-segments. */
  const held = kit.heldRequests();
  /** Pending `slow` / `slow-segments` responses. @type {Set<NodeJS.Timeout>} */
  const timers = new Set();

  const server = createServer((req, res) => handle(req, res));
  server.keepAliveTimeout = 2000;
  const sockets = kit.trackSockets(server);

  /**
   * The reply under the edge's fault, or null when the request is to be held.
   * @param {Request} req
   * @param {RequestKind} kind
   * @param {string} path
   * @returns {Reply | null}
   */
  function replyFor(req, kind, path) {
    if (req.method === 'OPTIONS') return { status: 204 };
    if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, body: 'method not allowed\n' };
    if (fault.kind === 'hang') return null;
    if (fault.kind === 'hang-playlist' && kind === 'playlist') return null;
    if (fault.kind === 'hang-segments' && (kind === 'init' || kind === 'segment')) return null;
    if (fault.kind === '404') return { status: 404, body: 'fault: 404\n' };
    if (fault.kind === '503') {
      const headers = fault.retryAfter != null ? { 'Retry-After': String(fault.retryAfter) } : undefined;
      return { status: 503, body: 'fault: 503\n', headers };
    }
    const reply = content(kind, path);
    if (fault.kind !== 'corrupt' || kind !== 'segment' || reply.status !== 200) return reply;
    // A broken cache on this edge: the right length, none of the right bytes.
    return { ...reply, body: garbage(Buffer.byteLength(reply.body ?? ''), segmentNumber(path)) };
  }

  /**
   * @param {Request} req
   * @param {Response} res
   */
  function handle(req, res) {
    setCorsHeaders(res);
    // A misconfigured CDN: no CORS header at all, so a browser on another origin refuses it.
    if (fault.kind === 'cors') res.removeHeader('Access-Control-Allow-Origin');
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const kind = classify(path);
    const reply = replyFor(req, kind, path);
    ctx.record({ t: Date.now(), stream, edge: name, kind, path, status: reply ? reply.status : 0 });
    if (!reply) return held.hold(res);
    const slow = fault.kind === 'slow' || (fault.kind === 'slow-segments' && (kind === 'init' || kind === 'segment'));
    if (!slow) return kit.send(res, reply);
    // The reply is decided on arrival (as a server behind a slow link would), sent later.
    const timer = setTimeout(() => {
      timers.delete(timer);
      kit.send(res, reply);
    }, fault.ms ?? DEFAULT_SLOW_MS);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  }

  return {
    name,
    get port() {
      return port;
    },
    get url() {
      return `http://${ctx.host}:${port}/live/index.m3u8`;
    },
    get fault() {
      return { ...fault };
    },
    /** @param {number} wanted */
    async start(wanted) {
      port = await kit.listen(server, wanted, ctx.host);
    },
    /**
     * Applies a delivery fault; resolves once the listener matches it (closed for refuse, open
     * otherwise, on the same port).
     * @param {Fault} next
     */
    async apply(next) {
      const previous = fault;
      held.release();
      fault = next;
      if (next.kind === 'refuse' && previous.kind !== 'refuse') await kit.shut(server, sockets);
      if (next.kind !== 'refuse' && !server.listening) await kit.listen(server, port, ctx.host);
    },
    /** Cuts everything: held and delayed requests, open connections, the listener. */
    async close() {
      held.release();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await kit.shut(server, sockets);
    },
  };
}

/** @typedef {ReturnType<typeof createEdge>} Edge */

/**
 * A stream: its encoder's state (live or frozen, ended or not) and its edges. Kept as a closure
 * over its state so fault changes are plain assignments.
 * @param {string} name
 * @param {string} colour
 * @param {Loop} loop
 * @param {string[]} edgeNames
 * @param {StreamContext} ctx
 */
function createStream(name, colour, loop, edgeNames, ctx) {
  /** The encoder's fault: none, freeze, endlist or gap. @type {Fault} */
  let encoder = NO_FAULT;
  /** The window as it was when freeze/endlist began (null while live). @type {Window | null} */
  let frozen = null;
  /** `gap`: the first segment the encoder has no media for (the playlist goes on, tagged). */
  let gapFrom = Infinity;
  /** Serialises fault changes, since refuse/none close and re-open listeners. */
  let queue = Promise.resolve();

  /** The window a request sees now: the frozen one, or the live one. */
  const currentWindow = () => frozen ?? liveWindow(ctx.startTime, Date.now(), loop.segmentMs, ctx.windowSize);

  /** @type {Content} */
  function content(kind, path) {
    if (kind === 'playlist') {
      const body = playlistText(currentWindow(), ctx.startTime, loop.segmentMs, encoder.kind === 'endlist', gapFrom);
      return { status: 200, type: 'application/vnd.apple.mpegurl', body };
    }
    if (kind === 'init') return { status: 200, type: 'video/mp4', body: loop.init };
    if (kind === 'segment') {
      const n = segmentNumber(path);
      const win = currentWindow();
      if (n < win.first || n > win.last) return { status: 404, body: 'segment not in the live window\n' };
      if (n >= gapFrom) return { status: 404, body: 'gap: no media for this segment\n' };
      return { status: 200, type: 'video/mp4', body: renderSegment(loop, n) };
    }
    return { status: 404, body: 'not found\n' };
  }

  /** @type {Map<string, Edge>} */
  const edges = new Map(edgeNames.map((edge) => [edge, createEdge(name, edge, content, ctx)]));

  /** @param {string} edge */
  function edgeNamed(edge) {
    const found = edges.get(edge);
    if (!found) throw new Error(`unknown edge '${edge}' of stream '${name}' (have ${[...edges.keys()].join(', ')})`);
    return found;
  }

  /** @param {Fault} next  freeze, endlist, gap or none */
  function setEncoder(next) {
    // gap: from the next segment on, until the fault changes.
    gapFrom = next.kind === 'gap' ? liveWindow(ctx.startTime, Date.now(), loop.segmentMs, ctx.windowSize).last + 1 : Infinity;
    // freeze -> endlist keeps the window frozen earlier; anything else freezes now.
    if (next.kind === 'freeze' || next.kind === 'endlist') {
      frozen = frozen ?? liveWindow(ctx.startTime, Date.now(), loop.segmentMs, ctx.windowSize);
    } else {
      frozen = null; // back to the wall-clock position, as if the encoder had kept running
    }
    encoder = next;
  }

  /**
   * Without an edge the fault becomes the stream's whole state: the encoder's and every edge's
   * (tests switch a stream from one fault straight to another, e.g. freeze -> 404 -> slow, and
   * expect only the last one). With an edge, only that edge's delivery changes.
   * @param {Fault} next
   * @param {string | undefined} edge
   */
  async function apply(next, edge) {
    if (edge != null) return edgeNamed(edge).apply(next);
    const isEncoder = ENCODER_FAULT_KINDS.includes(next.kind);
    setEncoder(isEncoder ? next : NO_FAULT);
    await Promise.all([...edges.values()].map((e) => e.apply(isEncoder ? NO_FAULT : next)));
  }

  /**
   * With an edge: that edge's delivery fault; without: the stream's state as one fault.
   * @param {string} [edge]
   * @returns {Fault | StreamFault}
   */
  function faultOf(edge) {
    return edge == null ? streamFault() : edgeNamed(edge).fault;
  }

  /** @returns {StreamFault} */
  function streamFault() {
    const [first, ...rest] = [...edges.values()].map((e) => e.fault);
    if (!rest.every((f) => sameFault(f, first))) return { kind: 'mixed' };
    if (first.kind === 'none') return { ...encoder };
    return encoder.kind === 'none' ? first : { kind: 'mixed' };
  }

  return {
    name,
    colour,
    /** @type {ReadonlyMap<string, Edge>} */
    edges,
    /** The first edge: the stream's own port and URL. */
    get main() {
      return /** @type {Edge} */ (edges.values().next().value);
    },
    get encoderFault() {
      return { ...encoder };
    },
    faultOf,
    /**
     * Starts every edge's listener, in order.
     * @param {Record<string, number>} ports  fixed ports by edge name (missing: a free port)
     */
    async start(ports) {
      for (const edge of edges.values()) await edge.start(ports[edge.name] ?? 0);
    },
    /**
     * Applies a fault; resolves once the listeners match it (closed for refuse, open otherwise).
     * @param {Fault} next
     * @param {string} [edge]
     * @returns {Promise<Fault | StreamFault>}
     */
    setFault(next, edge) {
      if (edge != null) {
        edgeNamed(edge);
        if (ENCODER_FAULT_KINDS.includes(next.kind)) {
          throw new Error(`'${next.kind}' is the encoder's, seen on every edge: set it without an edge`);
        }
      }
      const done = queue.then(() => apply(next, edge)).then(() => faultOf(edge));
      queue = done.then(
        () => undefined,
        () => undefined,
      );
      return done;
    },
    /** Cuts everything on every edge: held and delayed requests, open connections, listeners. */
    async close() {
      await queue;
      await Promise.all([...edges.values()].map((e) => e.close()));
    },
  };
}

/** @typedef {ReturnType<typeof createStream>} Stream */

// ---------------------------------------------------------------------------------------------
// The origin: streams + control server

/**
 * Edge names from the options: URL-safe, distinct, at least one.
 * @param {string[] | undefined} names
 */
function edgeNamesFrom(names = DEFAULT_EDGES) {
  if (!names.length) throw new Error('an origin needs at least one edge');
  for (const name of names) {
    if (!/^[\w-]+$/.test(name)) throw new Error(`edge name '${name}' must be URL-safe ([A-Za-z0-9_-])`);
  }
  if (new Set(names).size !== names.length) throw new Error(`edge names must be distinct (${names.join(', ')})`);
  return [...names];
}

/**
 * Starts every stream's edges and the control server.
 * @param {OriginOptions} [options]
 * @returns {Promise<Origin>}
 */
export async function startOrigin(options = {}) {
  const { host = '127.0.0.1', controlPort = 0, windowSize = 4, logLimit = 10000 } = options;
  const edgeNames = edgeNamesFrom(options.edges);
  const streamSpecs = Object.entries(options.streams ?? DEFAULT_STREAMS).map(([name, spec]) => {
    const { colour, port, ports } = typeof spec === 'string' ? { colour: spec, port: undefined, ports: undefined } : spec;
    // `port` is the first edge's, as it was the stream's before streams had edges.
    return { name, colour, ports: { ...(port ? { [edgeNames[0]]: port } : {}), ...ports } };
  });
  for (const { name, ports } of streamSpecs) {
    if (!/^[\w-]+$/.test(name)) throw new Error(`stream name '${name}' must be URL-safe ([A-Za-z0-9_-])`);
    const stray = Object.keys(ports).filter((edge) => !edgeNames.includes(edge));
    if (stray.length) throw new Error(`stream '${name}' has ports for unknown edges: ${stray.join(', ')}`);
  }

  await ensureMedia();
  const loops = new Map(
    await Promise.all([...new Set(streamSpecs.map((s) => s.colour))].map(async (c) => /** @type {const} */ ([c, await loadLoop(c)]))),
  );
  const poster = await readFile(join(MEDIA_DIR, 'poster.png'));

  /** @type {ReturnType<typeof kit.requestLog<LogEntry>>} */
  const requests = kit.requestLog(logLimit);
  /** @type {StreamContext} */
  const ctx = {
    host,
    startTime: options.startTime ?? Date.now() - windowSize * (loops.values().next().value?.segmentMs ?? 1000),
    windowSize,
    record: requests.record,
  };

  /** @type {Map<string, Stream>} */
  const streams = new Map();
  for (const { name, colour, ports } of streamSpecs) {
    const stream = createStream(name, colour, /** @type {Loop} */ (loops.get(colour)), edgeNames, ctx);
    streams.set(name, stream);
    await stream.start(ports);
  }

  /** @param {string} name */
  const streamNamed = (name) => {
    const stream = streams.get(name);
    if (!stream) throw new Error(`unknown stream '${name}' (have ${[...streams.keys()].join(', ')})`);
    return stream;
  };

  /** @type {Origin['log']} */
  const log = (filter) => requests.read(filter);

  /** @type {Origin['setFault']} */
  const setFault = async (name, fault, { edge } = {}) => streamNamed(name).setFault(normaliseFault(fault), edge);

  /** @type {Origin['reset']} */
  const reset = async () => {
    await Promise.all([...streams.values()].map((s) => s.setFault(NO_FAULT)));
    requests.clear();
  };

  const control = createControlServer({ streams, poster, log, setFault, reset });
  const controlSockets = kit.trackSockets(control);
  const boundControlPort = await kit.listen(control, controlPort, host);
  const controlUrl = `http://${host}:${boundControlPort}`;

  /** @type {Origin} */
  const origin = {
    controlUrl,
    posterUrl: `${controlUrl}/poster.png`,
    streams: Object.fromEntries([...streams.values()].map((s) => [s.name, streamInfo(s)])),
    edges: edgeNames,
    startTime: ctx.startTime,
    setFault,
    getFault: (name, { edge } = {}) => streamNamed(name).faultOf(edge),
    reset,
    log,
    async close() {
      await Promise.all([...[...streams.values()].map((s) => s.close()), kit.shut(control, controlSockets)]);
    },
  };
  return origin;
}

/**
 * @param {Stream} s
 * @returns {StreamInfo}
 */
function streamInfo(s) {
  const edges = Object.fromEntries([...s.edges.values()].map((e) => [e.name, { port: e.port, url: e.url }]));
  return { name: s.name, colour: s.colour, port: s.main.port, url: s.main.url, edges };
}

/**
 * @typedef {{ streams: Map<string, Stream>, poster: Buffer, log: Origin['log'], setFault: Origin['setFault'], reset: Origin['reset'] }} ControlDeps
 */

/**
 * The control server: fault switches, reset, request log (the kit's control API), poster.
 * @param {ControlDeps} deps
 */
function createControlServer(deps) {
  return createServer(async (req, res) => {
    setCorsHeaders(res);
    try {
      kit.send(res, await route(req, deps));
    } catch (err) {
      kit.sendError(res, err);
    }
  });
}

/**
 * A stream's state: the stream-wide view at the top (the first edge's port and URL), the
 * encoder's fault and every edge's.
 * @param {Stream} s
 */
function describeStream(s) {
  const edges = Object.fromEntries([...s.edges.values()].map((e) => [e.name, { port: e.port, url: e.url, ...e.fault }]));
  return { stream: s.name, colour: s.colour, port: s.main.port, url: s.main.url, ...s.faultOf(), encoder: s.encoderFault, edges };
}

/**
 * One edge's state: its delivery fault at the top, beside the encoder's.
 * @param {Stream} s
 * @param {string} edge
 */
function describeEdge(s, edge) {
  const fault = s.faultOf(edge); // throws on an unknown edge
  const e = /** @type {Edge} */ (s.edges.get(edge));
  return { stream: s.name, edge, colour: s.colour, port: e.port, url: e.url, ...fault, encoder: s.encoderFault };
}

/**
 * Routes one control request to a reply. A fault change may name an edge (`edge` in the JSON
 * body or the query); the reply is then that edge's state.
 * @param {Request} req
 * @param {ControlDeps} deps
 * @returns {Promise<Reply>}
 */
async function route(req, { streams, poster, log, setFault, reset }) {
  const url = new URL(req.url ?? '/', 'http://control');
  /** @param {Record<string, unknown>} input @param {Record<string, string>} query */
  const edgeOf = (input, query) => {
    const edge = input.edge ?? query.edge;
    if (edge != null && typeof edge !== 'string') throw new Error('edge must be a string');
    return edge;
  };
  const reply = await kit.routeControl(req, url, {
    reset,
    log,
    list: () => [...streams.values()].map(describeStream),
    has: (name) => streams.has(name),
    setFault: (name, input, query) => setFault(name, normaliseFault(input), { edge: edgeOf(input, query) }),
    describe(name, input, query) {
      const stream = /** @type {Stream} */ (streams.get(name));
      const edge = edgeOf(input, query);
      return edge == null ? describeStream(stream) : describeEdge(stream, edge);
    },
  });
  if (reply) return reply;
  if (url.pathname.replace(/\/+$/, '') === '/poster.png') return { status: 200, type: 'image/png', body: poster };
  return kit.json({ error: 'not found' }, 404);
}

// ---------------------------------------------------------------------------------------------
// Standalone

if (kit.isMain(import.meta.url)) {
  const host = kit.arg('host') ?? '127.0.0.1';
  const controlPort = Number(kit.arg('control-port') ?? process.env.ORIGIN_PORT ?? 8400);
  // Fixed, predictable ports by default so the demo page can hard-code them: edge a's ports
  // as before edges existed (control+1, +2, +3), each further edge's after all of those.
  const names = Object.keys(DEFAULT_STREAMS);
  /** @param {number} i  stream index @param {number} k  edge index */
  const portOf = (i, k) => (controlPort ? controlPort + 1 + k * names.length + i : 0);
  const streams = Object.fromEntries(
    Object.entries(DEFAULT_STREAMS).map(([name, colour], i) => [
      name,
      { colour, ports: Object.fromEntries(DEFAULT_EDGES.map((edge, k) => [edge, portOf(i, k)])) },
    ]),
  );
  const origin = await startOrigin({ host, controlPort, streams, edges: DEFAULT_EDGES });
  console.log(`control   ${origin.controlUrl}  (POST /control/<stream>[?edge=<edge>], /reset, GET /log, /poster.png)`);
  for (const s of Object.values(origin.streams)) {
    Object.entries(s.edges).forEach(([edge, e], k) =>
      console.log(`${(k ? '' : s.name).padEnd(9)} ${edge} ${e.url}${k ? '' : `  (${s.colour})`}`),
    );
  }
  kit.closeOnSignal(origin);
}
