// `npm run bench`: builds (if stale) and snapshots the element, starts the HLS origin, the
// WHEP server and a static server, launches one headless Chromium, runs every scenario N
// times (each in a fresh page, one at a time: the machine has 2 cores), prints medians and
// writes bench-results/bench-<timestamp>.json. A run of every scenario also writes
// bench-results/latest.json (committed) and rewrites the docs' tables made from it
// (scripts/docs-tables.mjs: docs/performance.md); a run of some scenarios (--only) leaves both
// alone. Missed targets are printed, not failures: the exit code is non-zero only when the
// harness itself breaks.
//
//   node bench/run.mjs [--reps N] [--quick] [--only name,name] [--cap seconds] [--build] [--help]
import { mkdir, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startOrigin } from '../test/servers/hls-origin.mjs';
import { startWhepServer } from '../test/servers/whep-server.mjs';
import { ROOT, prepareElement, removeSnapshot, startStatic } from './static.mjs';
import { SCENARIOS, runOnce } from './scenarios.mjs';
import { formatReport, summarise } from './report.mjs';
import { writeTables } from '../scripts/docs-tables.mjs';
import { chromiumAntiThrottlingArgs, chromiumBaseArgs, chromiumPath } from '../test/support/engines.mjs';

const CHROME_ARGS = [...chromiumBaseArgs, ...chromiumAntiThrottlingArgs];
// A baseline that never switches costs a full cap per run; after this many capped runs the
// median is the cap whatever the rest do, so the remaining repetitions are skipped.
const CAPPED_RUNS_ENOUGH = 2;

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    cap: { type: 'string', default: '40' },
    build: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench [-- options]
  --reps N           repetitions of each scenario (default 5)
  --quick            2 repetitions
  --only a,b         these scenarios only (no latest.json, no doc update); known: ${SCENARIOS.map((s) => s.name).join(', ')}
  --cap S            give up waiting for a switch S seconds after the fault (default 40)
  --build            rebuild the element first (otherwise only when dist/ is older than src/)`);
  process.exit(0);
}
const reps = args.quick ? 2 : Number(args.reps);
const capMs = Number(args.cap) * 1000;
const only = args.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (!(reps >= 1) || !(capMs > 0)) throw new Error('--reps and --cap must be positive numbers');
const unknown = only?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? [];
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));

const log = (/** @type {string} */ line) => console.log(line);
const started = Date.now();
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
// 1, 5 and 15-minute load averages: other engineers' test runs share this machine.
const loadAtStart = load();

/** @type {(() => Promise<unknown>)[]} cleanups, run in reverse order */
const cleanups = [];
async function cleanup() {
  while (cleanups.length) await /** @type {() => Promise<unknown>} */ (cleanups.pop())().catch((e) => console.error('cleanup:', e));
}
let interrupted = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: cleaning up…`);
    cleanup().finally(() => process.exit(130));
  });
}

/** @param {string[]} cmd */
const git = (...cmd) => {
  try {
    return execFileSync('git', cmd, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};

async function main() {
  const element = await prepareElement({ log, forceBuild: args.build });
  cleanups.push(() => removeSnapshot(element.dir));
  const web = await startStatic(element.dir);
  cleanups.push(() => web.close());
  const origin = await startOrigin({ host: '127.0.0.1' });
  cleanups.push(() => origin.close());
  const whep = await startWhepServer({ host: '127.0.0.1', streams: { primary: 'red', fallback: 'blue' } });
  cleanups.push(() => whep.close());
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROME_ARGS });
  cleanups.push(() => browser.close());
  log(`Chromium ${browser.version()}, ${cpus().length} cores; ${scenarios.length} scenarios × ${reps} reps; cap ${capMs / 1000} s`);

  /** @type {BenchContextLike} */
  const ctx = { browser, origin, whep, staticUrl: web.url, capMs };
  /** @type {any[]} */
  const runs = [];
  for (const sc of scenarios) {
    for (const player of /** @type {const} */ (['element', 'baseline'])) {
      if (player === 'baseline' && !sc.baseline) continue;
      let capped = 0;
      for (let rep = 1; rep <= reps && !interrupted; rep++) {
        if (capped >= CAPPED_RUNS_ENOUGH) {
          log(`  ${sc.name} ${player} #${rep}: skipped (${capped} runs already hit the cap)`);
          continue;
        }
        const t = Date.now();
        /** @type {any} */
        // The 1-minute load before each run: other engineers' browser tests share these 2 cores.
        const run = { scenario: sc.name, player, rep, load1: Math.round(loadavg()[0] * 100) / 100 };
        try {
          run.result = await runOnce(ctx, sc, player);
          if (run.result.capped) capped++;
        } catch (error) {
          run.error = String(/** @type {Error} */ (error)?.stack ?? error)
            .split('\n')
            .slice(0, 3)
            .join(' | ');
        }
        run.ms = Date.now() - t;
        runs.push(run);
        log(`  ${sc.name} ${player} #${rep}: ${describe(run)} (${(run.ms / 1000).toFixed(1)} s)`);
      }
    }
  }

  const rows = summarise(scenarios, runs, capMs);
  const report = formatReport(rows, capMs);
  const durationMs = Date.now() - started;
  const loads = runs.map((r) => r.load1);
  log(
    `\n${report}\nTotal ${(durationMs / 60000).toFixed(1)} min; 1-min load average before the runs ${Math.min(...loads)}–${Math.max(...loads)} (${cpus().length} cores).`,
  );

  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const dir = join(ROOT, 'bench-results');
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify(
    {
      startedAt: new Date(started).toISOString(),
      durationMs,
      argv: process.argv.slice(2),
      reps,
      capMs,
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model,
        node: process.version,
        chromium: browser.version(),
        loadAtStart,
        loadAtEnd: load(),
      },
      element: {
        built: element.built,
        warning: element.warning,
        gitHead: git('rev-parse', 'HEAD'),
        dirtyFiles: git('status', '--porcelain', '--', 'src')?.split('\n').filter(Boolean) ?? null,
      },
      summary: rows,
      runs,
    },
    null,
    2,
  );
  const file = join(dir, `bench-${stamp}.json`);
  await writeFile(file, json);
  // latest.json is what the docs show: only a run of every scenario replaces it.
  if (!only && !interrupted) {
    await writeFile(join(dir, 'latest.json'), json);
    log(`Wrote ${file} (and bench-results/latest.json).`);
    writeTables({ log });
  } else {
    log(`Wrote ${file} (not latest.json: ${interrupted ? 'interrupted' : 'not every scenario ran'}).`);
  }
}

/** @typedef {import('./scenarios.mjs').BenchContext} BenchContextLike */

/** One line per run for the progress log. @param {any} run */
function describe(run) {
  if (run.error) return `ERROR ${run.error}`;
  const r = run.result;
  if (r.error)
    return `no result: ${r.error}${r.freezeMs != null ? ` (freeze ${r.freezeMs} ms, switch ${r.faultToFrameMs ?? '—'} ms)` : ''}`;
  if (r.firstFrameMs != null) return `first frame ${r.firstFrameMs} ms (px ${r.px.firstFrameMs ?? '—'})`;
  const fo = r.failover?.at(-1);
  return [
    r.switched ? `switch ${r.faultToFrameMs} ms` : `no switch within ${capMs / 1000} s`,
    `freeze ${r.freezeMs} ms (px ${r.px.freezeMs}${r.freezeSpan ? `; gap at ${r.freezeSpan.join('–')} ms${r.freezeSkipped ? `, ${r.freezeSkipped} frames shown without a callback` : ''}` : ''})`,
    `black ${r.px.blackFrames} poster ${r.px.posterFrames} non-stream ${r.px.longestNonStreamMs} ms`,
    r.standby ? `standby ${r.standby.requestsPerMin} req/min ${r.standby.kbPerMin} KB/min` : null,
    fo ? `failover event freeze ${fo.freezeMs}` : null,
    r.ladder ? `went to ${r.ladder.landedOn ?? 'none'}` : null,
    r.timeline
      ? `[${Object.entries(r.timeline.steps)
          .map(([k, v]) => `${k} ${v ?? '—'}`)
          .join(', ')}]`
      : null,
  ]
    .filter(Boolean)
    .join(', ');
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  console.error('bench harness failed:', error);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(interrupted ? 130 : exitCode);
