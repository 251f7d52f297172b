// Test-run plugins: the local HLS origin (started and stopped with the test server), a
// command that reads pixels from a real screenshot of the page (in Chromium, Firefox and
// WebKit), a command that records a measured figure, and a reporter that ends the run with a
// plain "N passed, N failed" line.
import { appendFileSync, mkdirSync } from 'node:fs';
import { PNG } from 'pngjs';
import { centreOf, meanColour } from '../../bench/colour.mjs';
import { elementScreenshot, engineOf } from './engines.mjs';

export const FIGURES_FILE = 'test-results/figures.jsonl';

/** Starts the origin once per run; test pages read its URLs (every edge's too) from /__origin.json. */
export function hlsOriginPlugin() {
  let origin = null;
  return {
    name: 'live-player-hls-origin',
    async serverStart() {
      const { startOrigin } = await import('../servers/hls-origin.mjs');
      origin = await startOrigin({ host: '127.0.0.1' });
    },
    async serverStop() {
      await origin?.close();
    },
    serve(context) {
      if (context.path !== '/__origin.json' || !origin) return undefined;
      return {
        type: 'json',
        body: JSON.stringify({
          controlUrl: origin.controlUrl,
          posterUrl: origin.posterUrl,
          streams: Object.fromEntries(Object.entries(origin.streams).map(([name, s]) => [name, s.url])),
          // The same streams through each edge (CDN): { primary: { a: url, b: url }, ... }.
          edges: Object.fromEntries(
            Object.entries(origin.streams).map(([name, s]) => [
              name,
              Object.fromEntries(Object.entries(s.edges).map(([edge, e]) => [edge, e.url])),
            ]),
          ),
        }),
      };
    },
  };
}

/** Starts the WHEP server (werift + ffmpeg publishers) once per run; pages read /__whep.json. */
export function whepServerPlugin() {
  let whep = null;
  return {
    name: 'live-player-whep-server',
    async serverStart() {
      const { startWhepServer } = await import('../servers/whep-server.mjs');
      whep = await startWhepServer({ host: '127.0.0.1', streams: { primary: 'red', fallback: 'blue' } });
    },
    async serverStop() {
      await whep?.close();
    },
    serve(context) {
      if (context.path !== '/__whep.json' || !whep) return undefined;
      return {
        type: 'json',
        body: JSON.stringify({
          controlUrl: whep.url,
          streams: Object.fromEntries(Object.entries(whep.streams).map(([name, s]) => [name, s.url])),
        }),
      };
    },
  };
}

/** One DevTools session per page for the network emulation of `set-offline`. */
const offlineSessions = new WeakMap();

/** Mean colour of the centre of an element, from a screenshot: what a viewer sees. */
export function screenPlugin() {
  return {
    name: 'live-player-screen',
    async executeCommand({ command, payload, session }) {
      if (command === 'sample-screen') {
        // Chromium (Playwright), Firefox (puppeteer over BiDi) or WebKit (WebDriver, cropped).
        const png = await elementScreenshot(session, payload.selector, PNG);
        // Not null: wtr takes a null result for "no plugin handled this command".
        if (!png) return false;
        // The centre of the frame (every other pixel): the test streams keep their labels out of it.
        const centre = centreOf({ x: 0, y: 0, width: png.width, height: png.height });
        return meanColour(png.data, png.width, png.height, centre, 2) ?? false;
      }
      if (command === 'set-offline') {
        // The viewer's network as the browser cuts it: navigator.onLine and the offline/online
        // events, and every request to the media servers (127.0.0.1) failing. The test runner's
        // own connection (localhost) stays up, so the test can go on talking to it; WebRTC's UDP
        // is not touched (as with the browser's own offline emulation).
        const page = session.browser.getPage(session.id);
        let cdp = offlineSessions.get(page);
        if (!cdp) {
          cdp = await page.context().newCDPSession(page);
          await cdp.send('Network.enable');
          offlineSessions.set(page, cdp);
        }
        const offline = Boolean(payload.offline);
        const conditions = { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
        await cdp.send('Network.emulateNetworkConditionsByRule', {
          matchedNetworkConditions: offline ? [{ urlPattern: 'http://127.0.0.1:*/*', ...conditions }] : [],
        });
        await cdp.send('Network.overrideNetworkState', conditions);
        return true;
      }
      if (command === 'record-figure') {
        mkdirSync('test-results', { recursive: true });
        // Figures from Firefox or WebKit say so; Chromium's records stay as they were.
        const engine = engineOf(session);
        const tag = engine === 'chromium' ? {} : { engine };
        appendFileSync(FIGURES_FILE, `${JSON.stringify({ at: new Date().toISOString(), ...tag, ...payload })}\n`);
        return true;
      }
      return undefined;
    },
  };
}

function countTests(suite, counts) {
  if (!suite) return;
  for (const test of suite.tests ?? []) {
    if (test.skipped) counts.skipped += 1;
    else if (test.passed) counts.passed += 1;
    else counts.failed += 1;
  }
  for (const child of suite.suites ?? []) countTests(child, counts);
}

/** Prints one plain closing line that CI can read; a file that failed to load counts as failed. */
export function summaryLineReporter() {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  return {
    onTestRunFinished({ sessions }) {
      for (const session of sessions) {
        countTests(session.testResults, counts);
        if (!session.passed && !session.testResults?.tests?.length && !session.testResults?.suites?.length) {
          counts.failed += 1;
        }
      }
    },
    stop() {
      // At exit, after the dynamic progress display has finished redrawing.
      process.once('exit', () => {
        const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
        process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed${skipped}\n`);
      });
    },
  };
}

function collectTests(suite, path, out) {
  if (!suite) return out;
  for (const test of suite.tests ?? []) out.push({ name: [...path, test.name].join(' › '), ...test });
  for (const child of suite.suites ?? []) collectTests(child, [...path, child.name], out);
  return out;
}

/**
 * At exit, one line per test file and browser (passed, failed, seconds) and every failure with
 * its first error line; the engine groups use it to compare engines file by file.
 */
export function fileTableReporter() {
  const rows = [];
  let last = Date.now();
  return {
    start() {
      last = Date.now();
    },
    reportTestFileResults({ sessionsForTestFile, testFile }) {
      const now = Date.now();
      const seconds = Math.round((now - last) / 1000);
      last = now;
      for (const session of sessionsForTestFile) {
        const tests = collectTests(session.testResults, [], []);
        const failed = tests.filter((test) => !test.passed && !test.skipped);
        const errors = [...failed.map((test) => `${test.name}: ${test.error?.message ?? 'failed'}`)];
        for (const error of session.errors ?? []) errors.push(`(file) ${error.message}`);
        rows.push({
          file: testFile.replace(`${process.cwd()}/`, ''),
          browser: session.browser.name,
          passed: tests.filter((test) => test.passed).length,
          failed: failed.length + (session.passed || failed.length ? 0 : 1),
          seconds,
          errors,
        });
      }
    },
    stop() {
      process.once('exit', () => {
        const lines = ['', 'file × browser: passed, failed (seconds from the previous file to this one, all browsers)'];
        for (const row of rows) {
          lines.push(`  ${row.file} [${row.browser}]: ${row.passed} passed, ${row.failed} failed (${row.seconds} s)`);
          for (const error of row.errors) lines.push(`      ✗ ${error.split('\n')[0].slice(0, 300)}`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    },
  };
}
