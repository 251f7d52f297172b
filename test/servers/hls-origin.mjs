// Live HLS test origin: serves each configured stream (a looping 8 s colour clip from
// test/media) as a wall-clock-driven live sliding-window playlist on its own port, with
// per-stream fault injection (404, 503, refuse, hang, hang-playlist, hang-segments, slow,
// slow-segments, freeze, endlist, corrupt, cors) driven from JS or from a CORS-enabled HTTP
// control server, plus a request log.
//   hang: every request held; hang-playlist: playlists held, init and segments served;
//   hang-segments: init and segments held, playlists served; slow: every response delayed;
//   slow-segments: init and segments delayed, playlists on time; corrupt: segments are
//   garbage bytes of the real segment's length (playlist and init fine); cors: every
//   response (preflights too) without Access-Control-Allow-Origin, so a browser refuses it.
// Used by the browser tests, the demo page and the benchmark.
//
//   node test/servers/hls-origin.mjs [--host 127.0.0.1] [--control-port 8400]
//     streams get control-port+1, +2, +3 (all free ports with --control-port 0); Ctrl-C stops.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEDIA_DIR, ensureMedia, parseFragment, parseInit, readMeta } from './make-media.mjs';

/** @typedef {import('node:http').IncomingMessage} Request */
/** @typedef {import('node:http').ServerResponse} Response */
/** @typedef {import('node:http').Server} Server */
/** @typedef {import('node:net').Socket} Socket */

/**
 * @typedef {'none' | '404' | '503' | 'refuse' | 'hang' | 'hang-playlist' | 'hang-segments' | 'slow' | 'slow-segments' | 'freeze' | 'endlist' | 'corrupt' | 'cors'} FaultKind
 *
 * @typedef {object} Fault
 * @property {FaultKind} kind
 * @property {number} [ms]          `slow`, `slow-segments`: delay before each response (default 3000)
 * @property {number} [retryAfter]  `503`: seconds for the Retry-After header
 *
 * @typedef {'playlist' | 'init' | 'segment' | 'other'} RequestKind
 *
 * @typedef {object} LogEntry
 * @property {number} t           epoch ms when the stream server received the request
 * @property {string} stream
 * @property {RequestKind} kind
 * @property {string} path
 * @property {number} status      0 when the request was held (hang) and never answered
 *
 * @typedef {object} StreamInfo
 * @property {string} name
 * @property {string} colour
 * @property {number} port
 * @property {string} url         the live media playlist
 *
 * @typedef {object} OriginOptions
 * @property {string} [host]          default '127.0.0.1'
 * @property {number} [controlPort]   default 0 (a free port)
 * @property {Record<string, string | { colour: string, port?: number }>} [streams]
 *           stream name -> colour (or colour + fixed port); default primary red, fallback blue, spare green
 * @property {number} [startTime]     epoch ms at which segment 0 of every stream began; default
 *           now - windowSize s, so the first playlist already holds a full window
 * @property {number} [windowSize]    segments per playlist, default 4
 * @property {number} [logLimit]      newest entries kept in the request log, default 10000
 *
 * @typedef {object} Origin
 * @property {string} controlUrl
 * @property {string} posterUrl
 * @property {Record<string, StreamInfo>} streams
 * @property {number} startTime
 * @property {(stream: string, fault: Fault | FaultKind) => Promise<Fault>} setFault
 * @property {(stream: string) => Fault} getFault
 * @property {() => Promise<void>} reset
 * @property {(filter?: { stream?: string, since?: number }) => LogEntry[]} log
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
];
const DEFAULT_STREAMS = { primary: 'red', fallback: 'blue', spare: 'green' };
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
function playlistText(win, startTime, segmentMs, endlist) {
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
    lines.push(`#EXTINF:${(segmentMs / 1000).toFixed(3)},`, `seg-${n}.m4s`);
  }
  if (endlist) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/** @param {Response} res */
function setCommonHeaders(res) {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
  res.setHeader('Cache-Control', 'no-store');
}

/**
 * @typedef {object} Reply
 * @property {number} status
 * @property {string} [type]
 * @property {string | Buffer} [body]
 * @property {Record<string, string>} [headers]
 */

/**
 * @param {Response} res
 * @param {Reply} reply
 */
function send(res, { status, type = 'text/plain; charset=utf-8', body = '', headers = {} }) {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * @param {unknown} value
 * @param {number} [status]
 * @returns {Reply}
 */
function json(value, status = 200) {
  return { status, type: 'application/json', body: JSON.stringify(value) };
}

/**
 * Tracks a server's sockets so refuse/close can cut them (server.close alone waits for them).
 * @param {Server} server
 */
function trackSockets(server) {
  /** @type {Set<Socket>} */
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * @param {Server} server
 * @param {number} port
 * @param {string} host
 * @returns {Promise<number>} the bound port
 */
function listen(server, port, host) {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(/** @type {import('node:net').AddressInfo} */ (server.address()).port);
    });
  });
}

/**
 * Stops listening and destroys every open connection; resolves once the listener is gone.
 * @param {Server} server
 * @param {Set<Socket>} sockets
 * @returns {Promise<void>}
 */
function shut(server, sockets) {
  return new Promise((resolveClose) => {
    if (!server.listening) return resolveClose();
    server.close(() => resolveClose());
    for (const socket of sockets) socket.destroy();
  });
}

/**
 * Reads a small request body (the control server's JSON).
 * @param {Request} req
 * @returns {Promise<string>}
 */
async function readBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 * 1024) throw new Error('body too large');
  }
  return body;
}

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

// ---------------------------------------------------------------------------------------------
// One stream: its listener, its fault and what it serves

/**
 * @typedef {object} StreamContext  what a stream shares with the rest of the origin
 * @property {string} host
 * @property {number} startTime
 * @property {number} windowSize
 * @property {(entry: LogEntry) => void} record
 */

/**
 * A stream server. Kept as a closure over its state so fault changes are plain assignments.
 * @param {string} name
 * @param {string} colour
 * @param {Loop} loop
 * @param {StreamContext} ctx
 */
function createStream(name, colour, loop, ctx) {
  /** @type {Fault} */
  let fault = { kind: 'none' };
  /** The window as it was when freeze/endlist began (null while live). @type {Window | null} */
  let frozen = null;
  let port = 0;
  /** Requests held by hang / hang-playlist / hang-segments. @type {Set<Response>} */
  const held = new Set();
  /** Pending `slow` / `slow-segments` responses. @type {Set<NodeJS.Timeout>} */
  const timers = new Set();
  /** Serialises fault changes, since refuse/none close and re-open the listener. */
  let queue = Promise.resolve();

  const server = createServer((req, res) => handle(req, res));
  server.keepAliveTimeout = 2000;
  const sockets = trackSockets(server);

  /** The window a request sees now: the frozen one, or the live one. */
  const currentWindow = () => frozen ?? liveWindow(ctx.startTime, Date.now(), loop.segmentMs, ctx.windowSize);

  /**
   * What a healthy origin would answer.
   * @param {RequestKind} kind
   * @param {string} path
   * @returns {Reply}
   */
  function healthyReply(kind, path) {
    if (kind === 'playlist') {
      const body = playlistText(currentWindow(), ctx.startTime, loop.segmentMs, fault.kind === 'endlist');
      return { status: 200, type: 'application/vnd.apple.mpegurl', body };
    }
    if (kind === 'init') return { status: 200, type: 'video/mp4', body: loop.init };
    if (kind === 'segment') {
      const n = Number(path.slice('/live/seg-'.length, -'.m4s'.length));
      const win = currentWindow();
      if (n < win.first || n > win.last) return { status: 404, body: 'segment not in the live window\n' };
      const body = renderSegment(loop, n);
      return { status: 200, type: 'video/mp4', body: fault.kind === 'corrupt' ? garbage(body.length, n) : body };
    }
    return { status: 404, body: 'not found\n' };
  }

  /**
   * The reply under the current fault, or null when the request is to be held.
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
    return healthyReply(kind, path);
  }

  /**
   * @param {Request} req
   * @param {Response} res
   */
  function handle(req, res) {
    setCommonHeaders(res);
    // A misconfigured CDN: no CORS header at all, so a browser on another origin refuses it.
    if (fault.kind === 'cors') res.removeHeader('Access-Control-Allow-Origin');
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const kind = classify(path);
    const reply = replyFor(req, kind, path);
    ctx.record({ t: Date.now(), stream: name, kind, path, status: reply ? reply.status : 0 });
    if (!reply) return hold(res);
    const slow = fault.kind === 'slow' || (fault.kind === 'slow-segments' && (kind === 'init' || kind === 'segment'));
    if (!slow) return send(res, reply);
    // The reply is decided on arrival (as a server behind a slow link would), sent later.
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(res, reply);
    }, fault.ms ?? DEFAULT_SLOW_MS);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  }

  /** @param {Response} res */
  function hold(res) {
    held.add(res);
    res.on('close', () => held.delete(res));
  }

  /** Cuts every held request: the client sees the connection drop, as when a stuck server dies. */
  function releaseHeld() {
    for (const res of held) res.socket?.destroy();
    held.clear();
  }

  /**
   * @param {Fault} next
   */
  async function apply(next) {
    const previous = fault;
    releaseHeld();
    if (next.kind === 'freeze' || next.kind === 'endlist') {
      // freeze -> endlist keeps the window frozen earlier; anything else freezes now.
      frozen = frozen ?? liveWindow(ctx.startTime, Date.now(), loop.segmentMs, ctx.windowSize);
    } else {
      frozen = null; // back to the wall-clock position, as if the encoder had kept running
    }
    fault = next;
    if (next.kind === 'refuse' && previous.kind !== 'refuse') await shut(server, sockets);
    if (next.kind !== 'refuse' && !server.listening) await listen(server, port, ctx.host);
  }

  return {
    name,
    colour,
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
      port = await listen(server, wanted, ctx.host);
    },
    /**
     * Applies a fault; resolves once the listener matches it (closed for refuse, open otherwise).
     * @param {Fault} next
     * @returns {Promise<Fault>}
     */
    setFault(next) {
      const done = queue.then(() => apply(next)).then(() => ({ ...fault }));
      queue = done.then(() => undefined, () => undefined);
      return done;
    },
    /** Cuts everything: held and delayed requests, open connections, the listener. */
    async close() {
      await queue;
      releaseHeld();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await shut(server, sockets);
    },
  };
}

/** @typedef {ReturnType<typeof createStream>} Stream */

// ---------------------------------------------------------------------------------------------
// The origin: streams + control server

/**
 * Starts every stream server and the control server.
 * @param {OriginOptions} [options]
 * @returns {Promise<Origin>}
 */
export async function startOrigin(options = {}) {
  const { host = '127.0.0.1', controlPort = 0, windowSize = 4, logLimit = 10000 } = options;
  const streamSpecs = Object.entries(options.streams ?? DEFAULT_STREAMS).map(([name, spec]) =>
    typeof spec === 'string' ? { name, colour: spec, port: 0 } : { name, colour: spec.colour, port: spec.port ?? 0 },
  );
  for (const { name } of streamSpecs) {
    if (!/^[\w-]+$/.test(name)) throw new Error(`stream name '${name}' must be URL-safe ([A-Za-z0-9_-])`);
  }

  await ensureMedia();
  const loops = new Map(
    await Promise.all([...new Set(streamSpecs.map((s) => s.colour))].map(async (c) => /** @type {const} */ ([c, await loadLoop(c)]))),
  );
  const poster = await readFile(join(MEDIA_DIR, 'poster.png'));

  /** @type {LogEntry[]} */
  let entries = [];
  /** @type {StreamContext} */
  const ctx = {
    host,
    startTime: options.startTime ?? Date.now() - windowSize * (loops.values().next().value?.segmentMs ?? 1000),
    windowSize,
    record(entry) {
      entries.push(entry);
      if (entries.length > logLimit) entries = entries.slice(-logLimit);
    },
  };

  /** @type {Map<string, Stream>} */
  const streams = new Map();
  for (const { name, colour, port } of streamSpecs) {
    const stream = createStream(name, colour, /** @type {Loop} */ (loops.get(colour)), ctx);
    streams.set(name, stream);
    await stream.start(port);
  }

  /** @param {string} name */
  const streamNamed = (name) => {
    const stream = streams.get(name);
    if (!stream) throw new Error(`unknown stream '${name}' (have ${[...streams.keys()].join(', ')})`);
    return stream;
  };

  /** @type {Origin['log']} */
  const log = ({ stream, since } = {}) =>
    entries.filter((e) => (stream == null || e.stream === stream) && (since == null || e.t >= since));

  /** @type {Origin['setFault']} */
  const setFault = async (name, fault) => streamNamed(name).setFault(normaliseFault(fault));

  /** @type {Origin['reset']} */
  const reset = async () => {
    await Promise.all([...streams.values()].map((s) => s.setFault({ kind: 'none' })));
    entries = [];
  };

  const control = createControlServer({ streams, poster, log, setFault, reset });
  const controlSockets = trackSockets(control);
  const boundControlPort = await listen(control, controlPort, host);
  const controlUrl = `http://${host}:${boundControlPort}`;

  /** @type {Origin} */
  const origin = {
    controlUrl,
    posterUrl: `${controlUrl}/poster.png`,
    streams: Object.fromEntries(
      [...streams.values()].map((s) => [s.name, { name: s.name, colour: s.colour, port: s.port, url: s.url }]),
    ),
    startTime: ctx.startTime,
    setFault,
    getFault: (name) => streamNamed(name).fault,
    reset,
    log,
    async close() {
      await Promise.all([...[...streams.values()].map((s) => s.close()), shut(control, controlSockets)]);
    },
  };
  return origin;
}

/**
 * The control server: fault switches, reset, request log, poster and health.
 * @param {{ streams: Map<string, Stream>, poster: Buffer, log: Origin['log'], setFault: Origin['setFault'], reset: Origin['reset'] }} deps
 */
function createControlServer(deps) {
  return createServer(async (req, res) => {
    setCommonHeaders(res);
    try {
      send(res, await route(req, deps));
    } catch (err) {
      send(res, json({ error: /** @type {Error} */ (err).message }, 400));
    }
  });
}

/**
 * @param {Stream} s
 */
function describeStream(s) {
  return { stream: s.name, colour: s.colour, port: s.port, url: s.url, ...s.fault };
}

/**
 * Routes one control request to a reply.
 * @param {Request} req
 * @param {{ streams: Map<string, Stream>, poster: Buffer, log: Origin['log'], setFault: Origin['setFault'], reset: Origin['reset'] }} deps
 * @returns {Promise<Reply>}
 */
async function route(req, { streams, poster, log, setFault, reset }) {
  const url = new URL(req.url ?? '/', 'http://control');
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (method === 'OPTIONS') return { status: 204 };
  if (path === '/health') return json({ ok: true });
  if (path === '/poster.png') return { status: 200, type: 'image/png', body: poster };
  if (path === '/reset' && (method === 'POST' || method === 'GET')) {
    await reset();
    return json({ ok: true });
  }
  if (path === '/log') {
    const since = url.searchParams.get('since');
    return json(log({ stream: url.searchParams.get('stream') ?? undefined, since: since ? Number(since) : undefined }));
  }
  if (path === '/control') return json([...streams.values()].map(describeStream));
  const match = /^\/control\/([\w-]+)$/.exec(path);
  if (match) {
    const stream = streams.get(match[1]);
    if (!stream) return json({ error: `unknown stream '${match[1]}'` }, 404);
    if (method === 'POST') {
      const body = await readBody(req);
      await setFault(stream.name, normaliseFault(body.trim() ? JSON.parse(body) : Object.fromEntries(url.searchParams)));
    } else if (url.searchParams.has('kind')) {
      await setFault(stream.name, normaliseFault(Object.fromEntries(url.searchParams)));
    }
    return json(describeStream(stream));
  }
  return json({ error: 'not found' }, 404);
}

// ---------------------------------------------------------------------------------------------
// Standalone

/**
 * `--name value` / `--name=value` from argv.
 * @param {string} name
 */
function arg(name) {
  const argv = process.argv.slice(2);
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const host = arg('host') ?? '127.0.0.1';
  const controlPort = Number(arg('control-port') ?? process.env.ORIGIN_PORT ?? 8400);
  // Fixed, predictable ports by default so the demo page can hard-code them.
  const streams = Object.fromEntries(
    Object.entries(DEFAULT_STREAMS).map(([name, colour], i) => [name, { colour, port: controlPort ? controlPort + i + 1 : 0 }]),
  );
  const origin = await startOrigin({ host, controlPort, streams });
  console.log(`control   ${origin.controlUrl}  (POST /control/<stream>, /reset, GET /log, /poster.png)`);
  for (const s of Object.values(origin.streams)) console.log(`${s.name.padEnd(9)} ${s.url}  (${s.colour})`);
  const stop = async () => {
    await origin.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
