// Screenshot comparison for the test run: `compare-screenshot` takes a real screenshot of an
// element of the test page (Playwright, in the real Chromium) and compares it with a committed
// reference PNG, pixel by pixel, with a tolerance per pixel and a maximum share of differing
// pixels; rectangles the caller marks as volatile (a running counter, a random port) are left
// out of the comparison. A missing reference, or any reference with UPDATE_SCREENSHOTS=1, is
// written instead of compared. On a mismatch the actual image and a diff image are written
// under test-results/screenshots/ for a person to look at.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';

export const SCREENSHOTS_DIR = 'test/screenshots';
export const RESULTS_DIR = 'test-results/screenshots';

/**
 * @typedef {{ x: number, y: number, width: number, height: number }} Rect  element-relative CSS px
 * @typedef {object} ComparePayload
 * @property {string} selector        element of the test page to capture (e.g. the demo's iframe)
 * @property {string} name            reference file: test/screenshots/<name>.png
 * @property {Rect[]} [masks]         left out of the comparison
 * @property {number} [pixelTolerance]  largest difference of any channel (0-255) still "the same"; default 40
 * @property {number} [maxDiffRatio]  largest share of compared pixels that may differ; default 0.0005
 * @property {boolean} [dryRun]       compare only: never write a reference or a result file
 * @property {string} [against]       compare with this reference instead of <name> (implies dryRun)
 */

/** Pixels in any mask rectangle, as a per-pixel flag array. */
function maskOf(width, height, masks = []) {
  const masked = new Uint8Array(width * height);
  for (const rect of masks) {
    const x0 = Math.max(0, Math.floor(rect.x));
    const y0 = Math.max(0, Math.floor(rect.y));
    const x1 = Math.min(width, Math.ceil(rect.x + rect.width));
    const y1 = Math.min(height, Math.ceil(rect.y + rect.height));
    for (let y = y0; y < y1; y += 1) masked.fill(1, y * width + x0, y * width + Math.max(x0, x1));
  }
  return masked;
}

/**
 * Compares two decoded PNGs of the same size. The diff image is the actual one dimmed to a
 * quarter, differing pixels in magenta, masked areas in dark blue.
 */
export function comparePngs(actual, expected, { masks, pixelTolerance = 40, maxDiffRatio = 0.0005 } = {}) {
  if (actual.width !== expected.width || actual.height !== expected.height) {
    return {
      match: false,
      reason: `size ${actual.width}x${actual.height}, reference ${expected.width}x${expected.height}`,
      diffPixels: actual.width * actual.height,
      comparedPixels: actual.width * actual.height,
      diffRatio: 1,
      diff: null,
    };
  }
  const { width, height } = actual;
  const masked = maskOf(width, height, masks);
  const diff = new PNG({ width, height });
  let diffPixels = 0;
  let comparedPixels = 0;
  let maxDelta = 0;
  for (let p = 0; p < width * height; p += 1) {
    const i = p * 4;
    if (masked[p]) {
      diff.data.set([10, 10, 60, 255], i);
      continue;
    }
    comparedPixels += 1;
    const delta = Math.max(
      Math.abs(actual.data[i] - expected.data[i]),
      Math.abs(actual.data[i + 1] - expected.data[i + 1]),
      Math.abs(actual.data[i + 2] - expected.data[i + 2]),
    );
    if (delta > maxDelta) maxDelta = delta;
    if (delta > pixelTolerance) {
      diffPixels += 1;
      diff.data.set([255, 0, 255, 255], i);
    } else {
      diff.data.set([actual.data[i] >> 2, actual.data[i + 1] >> 2, actual.data[i + 2] >> 2, 255], i);
    }
  }
  const diffRatio = comparedPixels ? diffPixels / comparedPixels : 0;
  return {
    match: diffRatio <= maxDiffRatio,
    reason: `${diffPixels} of ${comparedPixels} compared pixels (${(diffRatio * 100).toFixed(3)} %) differ by more than ${pixelTolerance}; at most ${(maxDiffRatio * 100).toFixed(3)} % may`,
    diffPixels,
    comparedPixels,
    diffRatio,
    maxDelta,
    diff,
  };
}

function writePng(file, png) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(png));
}

/** The `compare-screenshot` server command. */
export function snapshotPlugin({ update = process.env.UPDATE_SCREENSHOTS === '1' } = {}) {
  return {
    name: 'live-player-screenshots',
    async executeCommand({ command, payload, session }) {
      if (command !== 'compare-screenshot') return undefined;
      /** @type {ComparePayload} */
      const options = payload;
      if (!/^[\w-]+$/.test(options.name) || (options.against && !/^[\w-]+$/.test(options.against))) {
        throw new Error(`compare-screenshot: bad name ${options.name}`);
      }
      const page = session.browser.getPage(session.id);
      const box = await page.locator(options.selector).first().boundingBox();
      if (!box) throw new Error(`compare-screenshot: ${options.selector} is not on screen`);
      const clip = { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) };
      const buffer = await page.screenshot({ clip, type: 'png', animations: 'allow', caret: 'hide' });
      const actual = PNG.sync.read(buffer);
      const referenceName = options.against ?? options.name;
      const reference = join(SCREENSHOTS_DIR, `${referenceName}.png`);
      const dryRun = options.dryRun || Boolean(options.against);

      if (!dryRun && (update || !existsSync(reference))) {
        const why = update ? 'UPDATE_SCREENSHOTS=1' : 'no reference yet';
        writePng(reference, actual);
        // Said on the server's output as well as returned to the test (which logs it).
        process.stdout.write(`\n[screenshots] wrote ${reference} (${why}); look at it, then commit it\n`);
        return { written: true, match: true, reference, reason: `wrote ${reference} (${why})` };
      }
      if (!existsSync(reference)) return { written: false, match: false, missing: true, reference, reason: `${reference} is missing` };

      const result = comparePngs(actual, PNG.sync.read(readFileSync(reference)), options);
      const answer = {
        written: false,
        match: result.match,
        reference,
        reason: result.reason,
        diffPixels: result.diffPixels,
        comparedPixels: result.comparedPixels,
        diffRatio: result.diffRatio,
        maxDelta: result.maxDelta,
      };
      if (!result.match && !dryRun) {
        const actualFile = join(RESULTS_DIR, `${options.name}.actual.png`);
        writePng(actualFile, actual);
        if (result.diff) writePng(join(RESULTS_DIR, `${options.name}.diff.png`), result.diff);
        answer.actual = actualFile;
        answer.diffImage = result.diff ? join(RESULTS_DIR, `${options.name}.diff.png`) : null;
      }
      return answer;
    },
  };
}
