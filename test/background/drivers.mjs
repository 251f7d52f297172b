// The three engines of the background check, each behind one small interface:
//   launch(), open(url) -> handle, call(handle, fn, arg) (window.bg[fn](arg) in that page),
//   hide(handles), show(handles), close(), kill().
// Every call is bounded by a deadline (a hung page must not hang the check); close() ends the
// browser within a deadline and kills it otherwise.
//
// Hiding a page as a viewer does:
// - Chromium and Firefox (puppeteer-core; Firefox over WebDriver BiDi): each test page gets its
//   own window with a second, blank tab in it; hide = bring the blank tab to the front, show =
//   bring the test page back. One window per page so every page can be shown at the same time.
// - WebKitGTK (WebKitWebDriver + MiniBrowser under Xvfb): each page in its own window; hide =
//   minimise the window (POST /window/minimize), show = set its rect again (POST /window/rect
//   restores a minimised window; /window/maximize works too).
//
// No anti-throttling switches: Chromium is launched without --disable-background-timer-throttling,
// --disable-renderer-backgrounding and --disable-backgrounding-occluded-windows (puppeteer adds
// them by default: removed with ignoreDefaultArgs, with --mute-audio, so a page with sound is
// audible as in a viewer's browser); Firefox without the Remote Agent's recommended prefs,
// which turn off the process priority manager and the lowering of background main threads.
import puppeteer from 'puppeteer-core';
import { chromiumBaseArgs, chromiumPath, firefoxPath, firefoxPrefs } from '../support/engines.mjs';
import { until } from '../support/until.mjs';
import { WebKitGtkLauncher } from '../support/webkit-launcher.mjs';

/** Chromium's switches here: the test stack's, minus the anti-throttling ones. */
const chromiumArgs = chromiumBaseArgs;

/** Puppeteer's default switches that keep a hidden page awake (and --mute-audio: see above). */
export const chromiumIgnoredDefaults = [
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--mute-audio',
];

/** Firefox's prefs here: the test stack's (autoplay, WebRTC on loopback), no recommended automation prefs. */
export const firefoxBackgroundPrefs = { ...firefoxPrefs, 'remote.prefs.recommended': false };

/**
 * Resolves or rejects as `promise` does, or rejects after `ms` with "<what>: no answer within …".
 * @template T @param {number} ms @param {string} what @param {Promise<T>} promise @returns {Promise<T>}
 */
export function within(ms, what, promise) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`), { deadline: true })),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const CALL_MS = 20_000;
const OPEN_MS = 60_000;

/** Chromium or Firefox through puppeteer-core. */
class PuppeteerDriver {
  /** @param {'chromium' | 'firefox'} engine */
  constructor(engine) {
    this.engine = engine;
    /** @type {import('puppeteer-core').Browser | null} */
    this.browser = null;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.process = null;
    this.version = '';
    this.hideMethod = 'another tab brought to the front (browser.newPage() + bringToFront())';
    this.showMethod = 'the test page brought to the front again';
  }

  async launch() {
    const common = { headless: true, protocolTimeout: 60_000, defaultViewport: { width: 400, height: 300 } };
    const options =
      this.engine === 'chromium'
        ? { ...common, executablePath: chromiumPath, args: chromiumArgs, ignoreDefaultArgs: chromiumIgnoredDefaults }
        : {
            ...common,
            browser: /** @type {const} */ ('firefox'),
            executablePath: firefoxPath,
            extraPrefsFirefox: firefoxBackgroundPrefs,
          };
    const launching = puppeteer.launch(options);
    try {
      this.browser = await within(90_000, `${this.engine}: launch`, launching);
    } catch (error) {
      // A launch that missed its deadline may still finish: end that browser too.
      launching.then(
        (late) => late.process()?.kill('SIGKILL'),
        () => {},
      );
      throw error;
    }
    this.process = this.browser.process();
    this.version = await within(CALL_MS, `${this.engine}: version`, this.browser.version());
    /** @type {import('puppeteer-core').Page[]} */
    this.pages = [];
  }

  /**
   * Opens `url` in a window of its own, with a blank tab beside it (the one brought to the
   * front to hide the page). @param {string} url
   */
  async open(url) {
    const browser = /** @type {import('puppeteer-core').Browser} */ (this.browser);
    const what = `${this.engine}: open ${url}`;
    const first = this.pages?.length === 0 ? (await within(CALL_MS, what, browser.pages()))[0] : undefined;
    const page = first ?? (await within(CALL_MS, what, browser.newPage({ type: 'window' })));
    this.pages?.push(page);
    await within(OPEN_MS, what, page.goto(url, { waitUntil: 'load' }));
    await within(
      CALL_MS,
      `${what}: the page's script`,
      page.waitForFunction(() => /** @type {any} */ (window).bgReady === true),
    );
    // A new tab opens in the window created last, which is this page's.
    const cover = await within(CALL_MS, `${what}: a second tab`, browser.newPage());
    const [pageWindow, coverWindow] = await within(CALL_MS, `${what}: window ids`, Promise.all([page.windowId(), cover.windowId()]));
    if (pageWindow !== coverWindow)
      throw new Error(`${what}: the blank tab opened in window ${coverWindow}, not in the page's ${pageWindow}`);
    await within(CALL_MS, `${what}: bring to front`, page.bringToFront());
    return { page, cover, url };
  }

  /** window.bg[fn](arg) in the page. @param {{ page: import('puppeteer-core').Page }} handle @param {string} fn @param {unknown} [arg] */
  call(handle, fn, arg, ms = CALL_MS) {
    return within(
      ms,
      `${this.engine}: bg.${fn}()`,
      handle.page.evaluate((f, a) => /** @type {any} */ (window).bg[f](a), fn, /** @type {any} */ (arg ?? null)),
    );
  }

  /** @param {{ cover: import('puppeteer-core').Page }[]} handles */
  async hide(handles) {
    for (const h of handles) await within(CALL_MS, `${this.engine}: hide (blank tab to the front)`, h.cover.bringToFront());
  }

  /** @param {{ page: import('puppeteer-core').Page }[]} handles */
  async show(handles) {
    for (const h of handles) await within(CALL_MS, `${this.engine}: show (page to the front)`, h.page.bringToFront());
  }

  async close() {
    const browser = this.browser;
    if (!browser) return;
    try {
      await within(15_000, `${this.engine}: close`, browser.close());
    } catch {
      this.kill();
    }
  }

  kill() {
    try {
      this.process?.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** WebKitGTK: MiniBrowser through WebKitWebDriver (the test stack's launcher), one window per page. */
class WebKitDriver {
  constructor() {
    this.engine = 'webkit';
    this.launcher = new WebKitGtkLauncher({ window: { width: 420, height: 360 } });
    this.version = '';
    /** @type {string[]} */
    this.handles = [];
    /** WebDriver commands go to the current window: one command sequence at a time. */
    this.queue = Promise.resolve();
    this.hideMethod = 'window minimised (POST /window/minimize)';
    this.showMethod = 'window rect set again (POST /window/rect)';
  }

  /** Runs `task` after every earlier one (WebDriver's current window is shared state). @template T @param {() => Promise<T>} task @returns {Promise<T>} */
  serial(task) {
    const run = this.queue.then(task, task);
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** @param {string} method @param {string} path @param {unknown} [body] @param {number} [ms] */
  wd(method, path, body, ms = CALL_MS) {
    return within(ms + 1000, `webkit: ${method} ${path}`, this.launcher.session(method, path, body, ms));
  }

  async launch() {
    await within(90_000, 'webkit: launch', this.launcher.start());
    this.version = this.launcher.name;
  }

  /** @param {string} url */
  open(url) {
    return this.serial(async () => {
      const handle =
        this.handles.length === 0
          ? await this.wd('GET', '/window')
          : (await this.wd('POST', '/window/new', { type: 'window' })).handle;
      this.handles.push(handle);
      await this.wd('POST', '/window', { handle });
      await this.wd('POST', '/window/rect', this.launcher.window);
      await this.wd('POST', '/url', { url }, OPEN_MS);
      await until(
        () => this.wd('POST', '/execute/sync', { script: 'return window.bgReady === true', args: [] }),
        `webkit: open ${url}: the page's script starting`,
        CALL_MS,
        200,
      );
      return { handle, url };
    });
  }

  /** @param {{ handle: string }} h @param {string} fn @param {unknown} [arg] */
  call(h, fn, arg, ms = CALL_MS) {
    return this.serial(async () => {
      await this.wd('POST', '/window', { handle: h.handle });
      return this.wd(
        'POST',
        '/execute/sync',
        { script: 'return window.bg[arguments[0]](arguments[1]);', args: [fn, arg ?? null] },
        ms,
      );
    });
  }

  /** @param {{ handle: string }[]} handles */
  hide(handles) {
    return this.serial(async () => {
      for (const h of handles) {
        await this.wd('POST', '/window', { handle: h.handle });
        await this.wd('POST', '/window/minimize', {});
      }
    });
  }

  /** @param {{ handle: string }[]} handles */
  show(handles) {
    return this.serial(async () => {
      for (const h of handles) {
        await this.wd('POST', '/window', { handle: h.handle });
        await this.wd('POST', '/window/rect', this.launcher.window);
      }
    });
  }

  async close() {
    try {
      await within(15_000, 'webkit: close', this.launcher.stop());
    } finally {
      this.kill();
    }
  }

  kill() {
    this.launcher.killAll('SIGKILL');
  }
}

/** @param {'chromium' | 'firefox' | 'webkit'} engine */
export function driverFor(engine) {
  return engine === 'webkit' ? new WebKitDriver() : new PuppeteerDriver(engine);
}
