// A @web/test-runner browser launcher for WebKitGTK (Safari's engine) with nothing but the
// system's packages: WebKitWebDriver drives MiniBrowser --automation over W3C WebDriver (plain
// HTTP, no client library), on an X display. Without a DISPLAY (or with WEBKIT_XVFB=1) the
// launcher starts its own Xvfb (-displayfd picks a free display), so `xvfb-run` is not needed.
//
// One WebDriver session, one window, one test file at a time (concurrency 1), like Chromium's
// runs here. Server-side commands reach the page through `executeScript(sessionId, …)` and
// `screenshot(sessionId)` (PNG of the viewport, in device pixels).
//
// A hung page: WebKitGTK's GStreamer media backend can block the web process's main thread for
// good (seen here when hls.js starts a live stream). Every WebDriver call has a deadline, and a
// watchdog asks the page for a trivial script every few seconds; when the page has not answered
// for WEBKIT_HANG_MS (default 45 s) the launcher says so, ends the browser (the page's socket
// closes, so wtr fails that file at once instead of after testsFinishTimeout) and starts a new
// one for the next file.
//
// WEBKIT_WD_DEBUG=1 logs every WebDriver call; WEBKIT_LOG=FILE keeps the browser's output.
import { spawn } from 'node:child_process';
import { appendFileSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
// Opening a test page: a try ends a browser that has not started (SESSION_START_MS) or loaded
// the page (NAVIGATION_MS) in time. Normally a start takes < 1 s and a page < 0.5 s.
const SESSION_START_MS = 20000;
const NAVIGATION_MS = 20000;
const START_ATTEMPTS = 2;
/** wtr's browserStartTimeout for this launcher: every try, plus starting Xvfb and the driver. */
export const webkitBrowserStartTimeout = START_ATTEMPTS * (SESSION_START_MS + NAVIGATION_MS) + 30000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts Xvfb on a free display; resolves with { display, process }. */
function startXvfb(size) {
  return new Promise((resolve, reject) => {
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${size}x24`, '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      xvfb.kill();
      reject(new Error(`Xvfb did not report a display within 10 s: ${err.trim()}`));
    }, 10000);
    xvfb.stderr.on('data', (data) => {
      err += data;
    });
    xvfb.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start Xvfb (apt-get install xvfb): ${error.message}`));
    });
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}) before it was ready: ${err.trim()}`));
    });
    xvfb.stdio[3].on('data', (data) => {
      out += data;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      xvfb.removeAllListeners('exit');
      resolve({ display: `:${out.trim()}`, process: xvfb });
    });
  });
}

export class WebKitGtkLauncher {
  /**
   * @param {object} [options]
   * @param {string} [options.binary]   the WebKitGTK browser to drive (MiniBrowser)
   * @param {string[]} [options.args]   its arguments (--automation is required)
   * @param {string} [options.driver]   the WebDriver server (WebKitWebDriver)
   * @param {{ width: number, height: number }} [options.window]  outer window size
   */
  constructor(options = {}) {
    this.name = 'WebKit';
    this.type = 'webkitgtk-webdriver';
    this.concurrency = 1;
    this.binary = options.binary ?? process.env.WEBKIT_BROWSER_PATH ?? MINIBROWSER;
    // Autoplay allowed, as Chromium's --autoplay-policy=no-user-gesture-required; the page's
    // console goes to MiniBrowser's stdout (kept in WEBKIT_LOG, when that names a file).
    this.args = options.args ?? ['--automation', '--autoplay-policy=allow', '--enable-write-console-messages-to-stdout=true'];
    this.driverBinary = options.driver ?? process.env.WEBKIT_DRIVER_PATH ?? 'WebKitWebDriver';
    this.window = options.window ?? { width: 800, height: 640 };
    this.urls = new Map();
    this.starting = null;
    this.base = null;
    this.sessionId = null;
    this.children = [];
    this.onExit = () => this.killAll('SIGKILL');
    this.onSigterm = () => {
      this.killAll('SIGKILL');
      process.exit(143);
    };
    this.hangMs = Number(process.env.WEBKIT_HANG_MS ?? 45000);
    this.watchdog = null;
    this.hung = new Set();
  }

  initialize(config) {
    this.config = config;
  }

  async wd(method, path, body, timeoutMs = 30000) {
    const started = Date.now();
    if (process.env.WEBKIT_WD_DEBUG) process.stderr.write(`[webkit] ${method} ${path}\n`);
    let response;
    let text;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if (error.name === 'TimeoutError') {
        throw new Error(`WebKitWebDriver ${method} ${path}: no answer within ${timeoutMs} ms (is the page's main thread blocked?)`, {
          cause: error,
        });
      }
      throw error;
    }
    if (process.env.WEBKIT_WD_DEBUG)
      process.stderr.write(`[webkit] ${method} ${path} ${response.status} in ${Date.now() - started} ms\n`);
    const json = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const { error, message } = json.value ?? {};
      throw new Error(`WebKitWebDriver ${method} ${path}: ${response.status} ${error ?? ''} ${message ?? text}`);
    }
    return json.value;
  }

  session(method, path, body, timeoutMs) {
    if (!this.sessionId) return Promise.reject(new Error('no WebKit browser (it was ended)'));
    return this.wd(method, `/session/${this.sessionId}${path}`, body, timeoutMs);
  }

  /** Xvfb (when needed), WebKitWebDriver, one session with MiniBrowser. */
  async start() {
    // The browser runs in its own process group, so it must be ended when this process ends,
    // including by SIGTERM (e.g. `timeout`), which otherwise ends node without an 'exit' event.
    process.removeListener('exit', this.onExit);
    process.once('exit', this.onExit);
    process.removeListener('SIGTERM', this.onSigterm);
    process.once('SIGTERM', this.onSigterm);
    const env = { ...process.env };
    if (!env.DISPLAY || process.env.WEBKIT_XVFB === '1') {
      const xvfb = await startXvfb('1280x1024');
      this.children.push(xvfb.process);
      env.DISPLAY = xvfb.display;
    }
    // No accessibility bus or GPU under Xvfb: quieter and no waiting for them.
    env.NO_AT_BRIDGE = '1';
    const port = await freePort();
    const log = process.env.WEBKIT_LOG ? openSync(process.env.WEBKIT_LOG, 'a') : 'ignore';
    // Its own process group: MiniBrowser and its web processes go with it (see killAll).
    const driver = spawn(this.driverBinary, [`--port=${port}`, '--host=127.0.0.1'], {
      env,
      stdio: ['ignore', log, 'pipe'],
      detached: true,
    });
    driver.unref();
    driver.stderr.unref?.();
    this.children.push(driver);
    let driverErr = '';
    driver.stderr.on('data', (data) => {
      driverErr = (driverErr + data).slice(-4000);
      if (log !== 'ignore') appendFileSync(log, data);
    });
    const spawnError = new Promise((_, reject) => driver.once('error', (error) => reject(error)));
    spawnError.catch(() => {});
    this.base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15000;
    for (;;) {
      try {
        await Promise.race([this.wd('GET', '/status'), spawnError]);
        break;
      } catch (error) {
        if (error.code === 'ENOENT')
          throw new Error(`cannot start ${this.driverBinary} (apt-get install webkit2gtk-driver)`, { cause: error });
        if (Date.now() > deadline)
          throw new Error(`WebKitWebDriver did not answer within 15 s: ${driverErr.trim()}`, { cause: error });
        await sleep(100);
      }
    }
    const capabilities = {
      'webkitgtk:browserOptions': { binary: this.binary, args: this.args },
      // Navigation returns at DOMContentLoaded: a test page's media may hold `load` back.
      pageLoadStrategy: 'eager',
      timeouts: { script: 30000, pageLoad: 60000, implicit: 0 },
    };
    const created = await this.wd('POST', '/session', { capabilities: { alwaysMatch: capabilities } }, SESSION_START_MS);
    this.sessionId = created.sessionId;
    this.name = `WebKit ${created.capabilities?.browserVersion ?? ''}`.trim();
    await this.session('POST', '/window/rect', this.window);
  }

  ensureStarted() {
    this.starting ??= this.start().catch((error) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  /**
   * Opens the test page. A page that has not loaded within NAVIGATION_MS gets one more try in a
   * new browser: a CI run once failed a file whose page never opened (wtr's "unable to create
   * and start a test page"; the cause was not seen, a blocked web process is the likely one).
   * The two tries fit in wtr's browserStartTimeout.
   */
  async startSession(sessionId, url) {
    this.urls.set(sessionId, url);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.ensureStarted();
        await this.session('POST', '/url', { url }, NAVIGATION_MS);
        break;
      } catch (error) {
        if (attempt === START_ATTEMPTS) throw error;
        process.stderr.write(`\n[webkit] ${url} did not open (${error.message}); trying once more in a new browser\n`);
        this.restart('the test page did not open');
      }
    }
    this.watch(sessionId);
  }

  isActive(sessionId) {
    return this.urls.has(sessionId);
  }

  async getBrowserUrl(sessionId) {
    if (!this.urls.has(sessionId)) return undefined;
    // After the watchdog ended a hung browser, the session's page is gone with it.
    if (this.hung.has(sessionId)) return this.urls.get(sessionId);
    return this.session('GET', '/url', undefined, 10000);
  }

  async stopSession(sessionId) {
    this.stopWatching();
    const wasHung = this.hung.delete(sessionId);
    this.urls.delete(sessionId);
    // An empty page stops the test page's timers, media and connections.
    if (!wasHung)
      await this.session('POST', '/url', { url: 'about:blank' }, 20000).catch(() => this.restart('the test page did not leave'));
    return wasHung
      ? {
          errors: [
            {
              message: `WebKit's web process hung (its main thread answered no script for ${this.hangMs / 1000} s); the browser was ended`,
            },
          ],
        }
      : {};
  }

  /** Asks the page for a trivial script every few seconds; a page silent for hangMs is hung. */
  watch(sessionId) {
    this.stopWatching();
    let lastAnswer = Date.now();
    let asking = false;
    this.watchdog = setInterval(async () => {
      if (asking || !this.urls.has(sessionId)) return;
      asking = true;
      try {
        await this.session('POST', '/execute/sync', { script: 'return 1', args: [] }, 5000);
        lastAnswer = Date.now();
      } catch {
        if (Date.now() - lastAnswer > this.hangMs && this.urls.has(sessionId) && !this.hung.has(sessionId)) {
          this.hung.add(sessionId);
          process.stderr.write(
            `\n[webkit] the page of ${this.urls.get(sessionId)} answered no script for ${Math.round((Date.now() - lastAnswer) / 1000)} s: its web process is hung; ending the browser (a new one serves the next file)\n`,
          );
          this.restart('hung page');
        }
      } finally {
        asking = false;
      }
    }, 3000);
    this.watchdog.unref();
  }

  stopWatching() {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  /** Ends the browser (a hung web process ignores SIGTERM); the next session starts a new one. */
  restart(why) {
    if (process.env.WEBKIT_WD_DEBUG) process.stderr.write(`[webkit] ending the browser: ${why}\n`);
    this.stopWatching();
    this.killAll('SIGKILL');
    this.sessionId = null;
    this.starting = null;
  }

  startDebugSession() {
    throw new Error('The WebKitGTK launcher has no debug mode; run MiniBrowser by hand.');
  }

  /** Runs `script` (a function body; `arguments` holds args) in the session's page. */
  executeScript(sessionId, script, args = []) {
    if (!this.urls.has(sessionId)) throw new Error(`no WebKit page for session ${sessionId}`);
    return this.session('POST', '/execute/sync', { script, args });
  }

  /** The viewport as a PNG (device pixels). */
  async screenshot(sessionId) {
    if (!this.urls.has(sessionId)) throw new Error(`no WebKit page for session ${sessionId}`);
    return Buffer.from(await this.session('GET', '/screenshot'), 'base64');
  }

  async stop() {
    this.stopWatching();
    if (this.sessionId) await this.session('DELETE', '', undefined, 10000).catch(() => {});
    this.sessionId = null;
    this.starting = null;
    // Whatever did not close with the session (a hung web process) goes now.
    this.killAll('SIGKILL');
    process.removeListener('exit', this.onExit);
    process.removeListener('SIGTERM', this.onSigterm);
  }

  /** Ends WebKitWebDriver's process group (MiniBrowser and its web processes too), then Xvfb. */
  killAll(signal) {
    for (const child of this.children.reverse()) {
      try {
        if (child.spawnargs[0] === this.driverBinary) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    }
    this.children = [];
  }
}

export function webkitLauncher(options) {
  return new WebKitGtkLauncher(options);
}
