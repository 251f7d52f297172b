// The HTTP kit the local test servers (hls-origin.mjs, whep-server.mjs) share: CORS headers,
// replies (text, JSON, errors), small request bodies, listening (and binding UDP) and closing
// with every open connection cut, requests held on purpose (`hang` faults), the bounded request log, the
// control API both expose (/health, /reset, /log, /control) and the command-line block that
// runs a server on its own. One copy, so the two servers cannot drift apart in how a test or
// the demo talks to them.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {import('node:http').IncomingMessage} Request */
/** @typedef {import('node:http').ServerResponse} Response */
/** @typedef {import('node:http').Server} Server */
/** @typedef {import('node:net').Socket} Socket */

/**
 * @typedef {object} Reply
 * @property {number} status
 * @property {string} [type]
 * @property {string | Buffer} [body]
 * @property {Record<string, string | string[]>} [headers]
 */

/**
 * A function that sets the CORS headers (and no-store) of a server on every response: the
 * players and the demo call the servers from another origin.
 * @param {{ methods: string, allowHeaders: string, exposeHeaders: string }} cors
 * @returns {(res: Response) => void}
 */
export function corsHeaders({ methods, allowHeaders, exposeHeaders }) {
  return (res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', methods);
    res.setHeader('Access-Control-Allow-Headers', allowHeaders);
    res.setHeader('Access-Control-Expose-Headers', exposeHeaders);
    res.setHeader('Cache-Control', 'no-store');
  };
}

/**
 * Sends a reply, unless the response is already gone or begun (a client that went away, an
 * event stream).
 * @param {Response} res
 * @param {Reply} reply
 */
export function send(res, { status, type = 'text/plain; charset=utf-8', body = '', headers = {} }) {
  if (res.destroyed || res.writableEnded || res.headersSent) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * @param {unknown} value
 * @param {number} [status]
 * @returns {Reply}
 */
export const json = (value, status = 200) => ({ status, type: 'application/json', body: JSON.stringify(value) });

/**
 * A thrown error as a JSON reply: its `status` if it carries one, else 400 (a bad request).
 * @param {Response} res
 * @param {unknown} err
 */
export function sendError(res, err) {
  const status = /** @type {{ status?: number }} */ (err).status ?? 400;
  send(res, json({ error: /** @type {Error} */ (err).message }, status));
}

/**
 * Reads a small request body (control JSON, an SDP); throws past `limit` characters.
 * @param {Request} req
 * @param {number} limit
 * @returns {Promise<string>}
 */
export async function readBody(req, limit) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('body too large');
  }
  return body;
}

/**
 * Tracks a server's sockets so refuse/close can cut them (server.close alone waits for them).
 * @param {Server} server
 */
export function trackSockets(server) {
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
 * @param {number} port   0: a free port
 * @param {string} host
 * @returns {Promise<number>} the bound port
 */
export function listen(server, port, host) {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(/** @type {import('node:net').AddressInfo} */ (server.address()).port);
    });
  });
}

/**
 * Binds a UDP socket to a free port on `host`.
 * @param {import('node:dgram').Socket} socket
 * @param {string} host
 * @returns {Promise<number>} the bound port
 */
export function bindUdp(socket, host) {
  return new Promise((resolveBind, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolveBind(socket.address().port);
    });
  });
}

/**
 * Stops listening and destroys every open connection; resolves once the listener is gone.
 * @param {Server} server
 * @param {Set<Socket>} sockets  from trackSockets
 * @returns {Promise<void>}
 */
export function shut(server, sockets) {
  return new Promise((resolveClose) => {
    if (!server.listening) return resolveClose();
    server.close(() => resolveClose());
    for (const socket of sockets) socket.destroy();
  });
}

/**
 * Requests held unanswered by a `hang` fault. `release` cuts them all: the client sees the
 * connection drop, as when a stuck server dies (on a fault change and on close).
 */
export function heldRequests() {
  /** @type {Set<Response>} */
  const held = new Set();
  return {
    /** @param {Response} res */
    hold(res) {
      held.add(res);
      res.on('close', () => held.delete(res));
    },
    release() {
      for (const res of held) res.socket?.destroy();
      held.clear();
    },
  };
}

/**
 * The request log: the newest `limit` entries, read back filtered by stream, edge and time.
 * @template {{ t: number, stream: string, edge?: string }} Entry
 * @param {number} limit
 */
export function requestLog(limit) {
  /** @type {Entry[]} */
  let entries = [];
  return {
    /** @param {Entry} entry */
    record(entry) {
      entries.push(entry);
      if (entries.length > limit) entries = entries.slice(-limit);
    },
    /** @param {{ stream?: string, edge?: string, since?: number }} [filter] */
    read({ stream, edge, since } = {}) {
      return entries.filter(
        (e) => (stream == null || e.stream === stream) && (edge == null || e.edge === edge) && (since == null || e.t >= since),
      );
    },
    clear() {
      entries = [];
    },
  };
}

/**
 * @typedef {object} ControlApi  what a server plugs into the shared control routes
 * @property {() => Promise<void>} reset
 * @property {(filter: { stream?: string, edge?: string, since?: number }) => unknown} log
 * @property {() => unknown} list                   every stream's state
 * @property {(name: string) => boolean} has
 * @property {(name: string, input: Record<string, unknown>, query: Record<string, string>) => Promise<unknown>} setFault
 *           input: the POST's JSON body, or the query
 * @property {(name: string, input: Record<string, unknown>, query: Record<string, string>) => unknown} describe
 *           the stream's state, after a fault change or a GET
 */

/**
 * The control API both servers share: OPTIONS (preflight) 204; GET /health; GET|POST /reset;
 * GET /log (?since, ?stream, ?edge); GET /control (every stream); GET /control/<stream>
 * (with `?kind=…` a fault change) or POST with a JSON body (a fault change), answered with the
 * stream's state. Null for any other path, for the server's own routes.
 * @param {Request} req
 * @param {URL} url
 * @param {ControlApi} api
 * @returns {Promise<Reply | null>}
 */
export async function routeControl(req, url, api) {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const query = Object.fromEntries(url.searchParams);
  if (method === 'OPTIONS') return { status: 204 };
  if (path === '/health') return json({ ok: true });
  if (path === '/reset' && (method === 'POST' || method === 'GET')) {
    await api.reset();
    return json({ ok: true });
  }
  if (path === '/log') {
    return json(api.log({ stream: query.stream, edge: query.edge, since: query.since ? Number(query.since) : undefined }));
  }
  if (path === '/control') return json(api.list());
  const match = /^\/control\/([\w-]+)$/.exec(path);
  if (!match) return null;
  if (!api.has(match[1])) return json({ error: `unknown stream '${match[1]}'` }, 404);
  const body = method === 'POST' ? (await readBody(req, 64 * 1024)).trim() : '';
  /** @type {Record<string, unknown>} */
  const input = body ? JSON.parse(body) : query;
  if (method === 'POST' || 'kind' in query) await api.setFault(match[1], input, query);
  return json(api.describe(match[1], input, query));
}

// ---------------------------------------------------------------------------------------------
// Running a server on its own (`node test/servers/<server>.mjs --host … --port …`)

/**
 * Whether the module at `moduleUrl` is the one node was asked to run.
 * @param {string} moduleUrl  import.meta.url
 */
export function isMain(moduleUrl) {
  return Boolean(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/**
 * `--name value` / `--name=value` from the command line.
 * @param {string} name
 */
export function arg(name) {
  const argv = process.argv.slice(2);
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * Ctrl-C (or a SIGTERM) closes the server, then the process ends.
 * @param {{ close: () => Promise<void> }} server
 */
export function closeOnSignal(server) {
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
