// One bench page in a fresh browser context: loads player.html or baseline.html, records what
// is painted (CDP screencast, every frame, PNG) and every network request with its size
// (CDP Network), and hands both back with the page's own frame/event log when closed.
// Times from CDP are epoch ms; the page's are performance.now() ms; Node converts with the
// page's timeOrigin (same machine, same wall clock).

export const VIEWPORT = { width: 480, height: 270 };

/**
 * @typedef {object} PaintedFrame
 * @property {number} t     epoch ms the frame was swapped (CDP metadata.timestamp)
 * @property {Buffer} png
 *
 * @typedef {import('./pages/recorder.mjs').FrameQuery} FrameQuery
 *
 * @typedef {object} NetRequest
 * @property {string} url
 * @property {string} method
 * @property {number} t       epoch ms the request was sent
 * @property {number} bytes   encoded bytes received (0 until finished)
 */

/**
 * @param {import('playwright-core').Browser} browser
 * @param {string} pageUrl
 */
export async function openSession(browser, pageUrl) {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const page = await context.newPage();
  /** @type {string[]} */
  const consoleErrors = [];
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  const cdp = await context.newCDPSession(page);

  /** @type {Map<string, NetRequest>} */
  const requests = new Map();
  // Wall time of a request from its CDP monotonic timestamp: the offset comes with each event.
  cdp.on('Network.requestWillBeSent', (e) => {
    requests.set(e.requestId, { url: e.request.url, method: e.request.method, t: e.wallTime * 1000, bytes: 0 });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  await cdp.send('Network.enable', {});

  await page.goto(pageUrl);
  await page.waitForFunction(() => /** @type {any} */ (window).benchReady === true);

  /** @type {PaintedFrame[]} */
  const painted = [];
  cdp.on('Page.screencastFrame', (e) => {
    painted.push({ t: (e.metadata.timestamp ?? Date.now() / 1000) * 1000, png: Buffer.from(e.data, 'base64') });
    // Ack at once: the next frame is only sent after the ack.
    cdp.send('Page.screencastFrameAck', { sessionId: e.sessionId }).catch(() => {});
  });
  await cdp.send('Page.startScreencast', { format: 'png', everyNthFrame: 1, maxWidth: VIEWPORT.width, maxHeight: VIEWPORT.height });

  /** @type {Promise<any> | null} */
  let closing = null;
  return {
    page,
    /** @param {unknown} options */
    start: (options) => page.evaluate((o) => /** @type {any} */ (window).bench.start(o), options),
    /**
     * First on-screen frame of a colour (or matching a query: an endpoint's `key`, a
     * `colour`, `notKey`) at or after an epoch time, as epoch ms (or null).
     * @param {string | FrameQuery} target @param {number} sinceEpoch
     */
    async firstVisible(target, sinceEpoch) {
      return (await this.firstVisibleFrame(target, sinceEpoch))?.t ?? null;
    },
    /**
     * The same, with the frame's video (data-key) and colour: { t (epoch ms), key, colour } or null.
     * @param {string | FrameQuery} target @param {number} sinceEpoch
     * @returns {Promise<{ t: number, key: string, colour: string } | null>}
     */
    async firstVisibleFrame(target, sinceEpoch) {
      const [frame, origin] = await page.evaluate(
        ([q, s]) => [/** @type {any} */ (window).bench.firstVisibleFrame(q, s - performance.timeOrigin), performance.timeOrigin],
        /** @type {const} */ ([target, sinceEpoch]),
      );
      return frame == null ? null : { ...frame, t: origin + frame.t };
    },
    /** Stops recording, closes the context, returns everything recorded (idempotent). */
    close() {
      closing ??= (async () => {
        /** @type {any} */
        let snap;
        try {
          await cdp.send('Page.stopScreencast').catch(() => {});
          snap = await page.evaluate(() => /** @type {any} */ (window).bench.snapshot());
        } finally {
          await context.close().catch(() => {});
        }
        return { snap, painted, requests: [...requests.values()], consoleErrors };
      })();
      return closing;
    },
  };
}
