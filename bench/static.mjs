// The bench's own static server and element build. The element is built if dist/ is missing
// or older than src/, then copied to a private temp directory, so another engineer rebuilding
// dist/ in the middle of a bench run cannot swap the element between repetitions.
//   /dist/…   the snapshot of dist/live-player.js + dist/chunks/
//   /bench/…  this directory (pages, colour.mjs)
//   /hls/…    node_modules/hls.js/dist (the baseline's plain hls.js)
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BENCH_DIR = join(ROOT, 'bench');
const HLS_DIR = join(ROOT, 'node_modules/hls.js/dist');

const TYPES = {
  '.html': 'text/html',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.png': 'image/png',
};

/** Newest mtime (ms) of any file under dir. @param {string} dir */
async function newest(dir) {
  let max = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) max = Math.max(max, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return max;
}

/**
 * Builds the element when dist/ is stale, then snapshots it.
 * @param {{ log: (line: string) => void, forceBuild?: boolean }} options
 * @returns {Promise<{ dir: string, built: boolean, warning: string | null }>}
 */
export async function prepareElement({ log, forceBuild = false }) {
  const bundle = join(ROOT, 'dist/live-player.js');
  const bundleTime = await stat(bundle).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  let built = false;
  let warning = null;
  if (forceBuild || bundleTime < (await newest(join(ROOT, 'src')))) {
    log('building the element (npm run build)…');
    const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    built = result.status === 0;
    if (!built) {
      // src/ may be mid-edit by someone else: bench the last good build rather than nothing.
      const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-8).join('\n');
      if (!bundleTime) throw new Error(`npm run build failed and there is no dist/live-player.js:\n${tail}`);
      warning = `npm run build failed; benching the existing (stale) dist/live-player.js.\n${tail}`;
      log(`WARNING: ${warning}`);
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'live-player-bench-'));
  await cp(bundle, join(dir, 'live-player.js'));
  await cp(join(ROOT, 'dist/chunks'), join(dir, 'chunks'), { recursive: true });
  return { dir, built, warning };
}

/**
 * @param {string} elementDir  the snapshot from prepareElement()
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function startStatic(elementDir) {
  const mounts = /** @type {const} */ ([
    ['/dist/', elementDir],
    ['/bench/', BENCH_DIR],
    ['/hls/', HLS_DIR],
  ]);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    const file = mount && normalize(join(mount[1], path.slice(mount[0].length)));
    if (!mount || !file || !file.startsWith(mount[1])) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      // no-store: every repetition must load (and time) the element and hls.js afresh.
      res.writeHead(200, {
        'Content-Type': TYPES[/** @type {keyof TYPES} */ (extname(file))] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', () => done(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((done) => server.close(() => done(undefined)));
    },
  };
}

/** @param {string} dir */
export const removeSnapshot = (dir) => rm(dir, { recursive: true, force: true });
