// Test-run plugin for the chaos soak (test/soak/): its settings from the environment
// (SOAK_MINUTES, SOAK_SEED), one screenshot sampled at several elements at once, a real
// garbage collection in the page (so leak counts are not blurred by garbage not yet collected),
// and the soak's closing report, written to test-results/soak.json for scripts/soak.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { centreOf, meanColour } from '../../bench/colour.mjs';

export const SOAK_REPORT_FILE = 'test-results/soak.json';
export const DEFAULT_SOAK_MINUTES = 2;
export const MAX_SOAK_MINUTES = 240;

/** SOAK_MINUTES as a number of minutes (fractions allowed); throws on anything unusable. */
export function soakMinutes(raw = process.env.SOAK_MINUTES) {
  if (raw == null || raw === '') return DEFAULT_SOAK_MINUTES;
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_SOAK_MINUTES) {
    throw new Error(`SOAK_MINUTES must be a number of minutes in (0, ${MAX_SOAK_MINUTES}], got '${raw}'`);
  }
  return minutes;
}

/** SOAK_SEED (an unsigned 32-bit integer) or a fresh one, fixed for the whole test run. */
function soakSeed(raw = process.env.SOAK_SEED) {
  if (raw == null || raw === '') return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`SOAK_SEED must be an integer in [0, 2^32), got '${raw}'`);
  return seed;
}

export function soakPlugin() {
  const settings = { minutes: soakMinutes(), seed: soakSeed() };
  const cdp = new Map();
  return {
    name: 'live-player-soak',
    async executeCommand({ command, payload, session }) {
      if (command === 'soak-config') return settings;
      if (command === 'soak-sample') {
        // One screenshot of the viewport, sampled at every element: both players at one instant.
        const page = session.browser.getPage(session.id);
        // Boxes read at once, never waited for (a removed player has none).
        const boxes = await page.evaluate(
          (selectors) =>
            selectors.map((s) => {
              const r = document.querySelector(s)?.getBoundingClientRect();
              return r ? { x: r.x, y: r.y, width: r.width, height: r.height } : null;
            }),
          payload.selectors,
        );
        const png = PNG.sync.read(await page.screenshot({ type: 'png', animations: 'allow' }));
        // The centre of each box, every other pixel, as the screen plugin reads one element.
        return boxes.map((box) =>
          box && box.width >= 4 && box.height >= 4 ? meanColour(png.data, png.width, png.height, centreOf(box), 2) : null,
        );
      }
      if (command === 'soak-gc') {
        const page = session.browser.getPage(session.id);
        let client = cdp.get(session.id);
        if (!client) {
          client = await page.context().newCDPSession(page);
          cdp.set(session.id, client);
        }
        await client.send('HeapProfiler.collectGarbage');
        return true;
      }
      if (command === 'soak-report') {
        mkdirSync('test-results', { recursive: true });
        writeFileSync(SOAK_REPORT_FILE, `${JSON.stringify({ at: new Date().toISOString(), ...payload }, null, 2)}\n`);
        return true;
      }
      return undefined;
    },
  };
}
