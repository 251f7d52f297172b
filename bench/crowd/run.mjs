#!/usr/bin/env node
// npm run crowd [-- --players N --scenario NAME --sweep --workers N --check]
//
// Runs the real failover machine (src/machine, bundled with esbuild) for a crowd of players
// with simulated time (bench/crowd/simulation.ts), prints per scenario the histogram of
// requests per second against the primary's origin and the figures the goals are about,
// and writes them to bench-results/crowd.json. With --check it exits 1 when a goal is missed.
// A landing scenario (`landing` in scenarios.mjs: webrtc-server-dies) is about each player's
// first request to another server once the outage began: its histogram is of those; its
// comparison run (`compare`, e.g. without the crowd spread) is printed and written next to
// it, but is no goal and is left out by --check.
// Where the figures go: a run of every scenario writes bench-results/crowd.json and --sweep
// bench-results/crowd-sweep.json, both committed, and rewrites the docs' tables made from them
// (scripts/docs-tables.mjs); a run of one scenario writes bench-results/crowd-<name>.json
// (not committed); --check (npm test) writes test-results/crowd-check.json and no doc.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GOALS, SCENARIOS, SWEEP_OUTAGES_S, sweepScenario } from './scenarios.mjs';
import { writeTables } from '../../scripts/docs-tables.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

function parseArgs(argv) {
  const options = {
    players: 100000,
    scenario: 'all',
    sweep: false,
    workers: Math.min(availableParallelism(), 4),
    check: false,
    seed: 1,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--players') options.players = Number(value());
    else if (arg === '--scenario') options.scenario = value();
    else if (arg === '--workers') options.workers = Number(value());
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--sweep') options.sweep = true;
    else if (arg === '--check') options.check = true;
    else throw new Error(`unknown option ${arg} (use --players N, --scenario NAME|all, --sweep, --workers N, --seed N, --check)`);
  }
  for (const key of ['players', 'workers', 'seed']) {
    if (!Number.isInteger(options[key]) || options[key] < 1) throw new Error(`--${key} must be a positive whole number`);
  }
  if (options.players > 1_000_000) throw new Error('--players: at most 1 000 000');
  return options;
}

async function bundleSimulation(dir) {
  const outfile = join(dir, 'simulation.mjs');
  await build({
    entryPoints: [join(here, 'simulation.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return pathToFileURL(outfile).href;
}

function runSlice(bundle, scenario, from, to) {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(join(here, 'worker.mjs'), {
      workerData: { bundle, scenario, from, to },
      resourceLimits: { maxOldGenerationSizeMb: 4096 },
    });
    worker.once('message', resolvePromise);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`crowd worker exited with ${code}`)));
  });
}

async function simulate(bundle, scenario, workers) {
  const slices = [];
  const per = Math.ceil(scenario.players / workers);
  for (let from = 0; from < scenario.players; from += per) slices.push([from, Math.min(scenario.players, from + per)]);
  const parts = await Promise.all(slices.map(([from, to]) => runSlice(bundle, scenario, from, to)));
  const total = parts[0];
  parts.slice(1).forEach((part, i) => {
    for (const key of ['probes', 'returns', 'playback', 'fallbackProbes']) {
      for (let s = 0; s < total[key].length; s += 1) total[key][s] += part[key][s];
    }
    const [from, to] = slices[i + 1];
    total.returnDelays.set(part.returnDelays.subarray(from, to), from);
    for (const [name, counts] of Object.entries(part.servers)) {
      const into = total.servers[name];
      for (const key of ['probes', 'starts', 'playback', 'landings']) {
        for (let s = 0; s < into[key].length; s += 1) into[key][s] += counts[key][s];
      }
      into.firstRequestDelays.set(counts.firstRequestDelays.subarray(from, to), from);
      into.engineStarts += counts.engineStarts;
    }
    for (const [where, players] of Object.entries(part.endStates)) total.endStates[where] = (total.endStates[where] ?? 0) + players;
    total.preliveRequests.primary += part.preliveRequests.primary;
    total.preliveRequests.fallback += part.preliveRequests.fallback;
    total.preliveMs += part.preliveMs;
    total.idleRequests.primary += part.idleRequests.primary;
    total.idleRequests.fallback += part.idleRequests.fallback;
    total.idleMs += part.idleMs;
    total.retryAfterViolations += part.retryAfterViolations;
    total.stranded += part.stranded;
  });
  return total;
}

/** @param {string[]} args */
function git(...args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function quantile(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The figures the goals are about, from a merged result. */
function figuresOf(result) {
  const { scenario } = result;
  const returnsTotal = result.returns.reduce((a, b) => a + b, 0);
  let peak = 0;
  let peakSecond = -1;
  result.returns.forEach((count, second) => {
    if (count > peak) [peak, peakSecond] = [count, second];
  });
  const waits = Array.from(result.returnDelays)
    .filter((d) => d >= 0)
    .sort((a, b) => a - b);
  const per10s = (requests) => (result.preliveMs > 0 ? requests / (result.preliveMs / 10000) : 0);
  const idlePer10s = (requests) => (result.idleMs > 0 ? requests / (result.idleMs / 10000) : null);
  return {
    players: scenario.players,
    returned: waits.length,
    stranded: result.stranded,
    returnRequests: returnsTotal,
    peakReturnShare: returnsTotal > 0 ? peak / returnsTotal : 0,
    peakReturnSecond: peakSecond,
    waitAfterRecoveryS: { median: quantile(waits, 0.5) / 1000, p95: quantile(waits, 0.95) / 1000, max: waits.at(-1) / 1000 },
    // All prelive time, the fast first retries after a failure included.
    preliveRequestsPer10s: {
      primaryOrigin: per10s(result.preliveRequests.primary),
      fallbackOrigin: scenario.fallbackDown ? per10s(result.preliveRequests.fallback) : null,
      total: per10s(result.preliveRequests.primary + result.preliveRequests.fallback),
    },
    // Idle players: prelive after its first minute, until the origin recovers (null: none idled).
    idleRequestsPer10s: idlePer10s(result.idleRequests.primary + result.idleRequests.fallback),
    idleHours: result.idleMs / 3_600_000,
    retryAfterViolations: result.retryAfterViolations,
    peakProbeRate: Math.max(...result.probes),
  };
}

function verdicts(figures) {
  const idle = figures.idleRequestsPer10s;
  return [
    ['peak return share ≤ 5 %', figures.peakReturnShare <= GOALS.peakReturnShare],
    ['idle player ≤ 1 request / 10 s (both origins)', idle === null || idle <= GOALS.idleRequestsPer10s],
    ['Retry-After honoured', figures.retryAfterViolations === 0],
    ['every player returned', figures.stranded === 0],
  ];
}

/**
 * The figures of a landing scenario (`scenario.landing`): each player's first request to the
 * landing server once the outage began, per second and as a delay from it; the busiest
 * second's share of the crowd; the requests on that server; where the players end up.
 */
function landingFiguresOf(result) {
  const { scenario } = result;
  const counts = result.servers[scenario.landing.server];
  const outageSecond = Math.floor(scenario.downFromMs / 1000);
  let peak = 0;
  let peakSecond = -1;
  counts.landings.forEach((count, second) => {
    if (count > peak) [peak, peakSecond] = [count, second];
  });
  const delays = Array.from(counts.firstRequestDelays)
    .filter((d) => d >= 0)
    .sort((a, b) => a - b);
  // The busiest 1 s window anywhere, not only between whole seconds.
  let slidingPeak = 0;
  for (let i = 0, j = 0; i < delays.length; i += 1) {
    while (delays[j] < delays[i] - 999) j += 1;
    slidingPeak = Math.max(slidingPeak, i - j + 1);
  }
  const sum = (array, from = 0) => array.subarray(from).reduce((a, b) => a + b, 0);
  const perSecond = (s) => counts.probes[s] + counts.starts[s] + counts.playback[s];
  const since = [];
  for (let s = outageSecond; s < result.seconds - 1; s += 1) since.push(perSecond(s));
  const onEndpoint = result.endStates[scenario.landing.endsOn] ?? 0;
  return {
    players: scenario.players,
    server: scenario.landing.server,
    landed: delays.length,
    peakLandingShare: peak / scenario.players,
    peakLandingSecond: peakSecond,
    peakLandingWindowShare: slidingPeak / scenario.players,
    spreadS: { median: quantile(delays, 0.5) / 1000, p95: quantile(delays, 0.95) / 1000, max: delays.at(-1) / 1000 },
    // Requests to the server once the outage began, per player, by kind.
    requestsPerPlayer: {
      probes: sum(counts.probes, outageSecond) / scenario.players,
      starts: sum(counts.starts, outageSecond) / scenario.players,
    },
    engineStarts: counts.engineStarts,
    peakRequestsPerSecond: Math.max(...since),
    endsOn: scenario.landing.endsOn,
    onEndpoint,
    endStates: result.endStates,
  };
}

function landingVerdicts(figures) {
  return [
    [
      `no more than ${GOALS.peakLandingShare * 100} % of the crowd lands on the HLS CDN in any one second`,
      figures.peakLandingShare <= GOALS.peakLandingShare,
    ],
    ['every player ends on the HLS endpoint', figures.onEndpoint === figures.players],
  ];
}

const pct = (x) => `${(100 * x).toFixed(2)} %`;

function printLanding(label, figures) {
  const { spreadS: spread } = figures;
  console.log(
    `  ${label}: busiest second ${figures.peakLandingSecond} carries ${pct(figures.peakLandingShare)} of the crowd's first ${figures.server} requests (busiest 1 s window anywhere: ${pct(figures.peakLandingWindowShare)}); from the outage to the first ${figures.server} request: median ${spread.median.toFixed(2)} s, p95 ${spread.p95.toFixed(2)} s, max ${spread.max.toFixed(2)} s; landed ${figures.landed}/${figures.players}`,
  );
  console.log(
    `    ${figures.server} requests per player since the outage: probes ${figures.requestsPerPlayer.probes.toFixed(2)}, engine starts ${figures.requestsPerPlayer.starts.toFixed(2)} (engines started on it, whole run: ${figures.engineStarts}); peak ${figures.peakRequestsPerSecond} requests/s; at the end: ${Object.entries(
      figures.endStates,
    )
      .map(([where, n]) => `${where}: ${n}`)
      .join(', ')}`,
  );
}

/** The landing server's requests per second around the outage, 10 s averages elsewhere. */
function landingHistogram(result, comparison) {
  const { scenario } = result;
  const counts = result.servers[scenario.landing.server];
  const down = Math.floor(scenario.downFromMs / 1000);
  const detailed = (s) => s >= down - 2 && s < down + 8;
  const columns = (s, end) => {
    const n = end - s;
    const avg = (array) => Math.round(array.subarray(s, end).reduce((a, b) => a + b, 0) / n);
    return {
      landings: avg(counts.landings),
      probes: avg(counts.probes),
      starts: avg(counts.starts),
      playback: avg(counts.playback),
      without: comparison ? avg(comparison.servers[scenario.landing.server].landings) : null,
    };
  };
  const rows = [];
  for (let s = 0; s < result.seconds - 1;) {
    let end = s + 1;
    if (!detailed(s)) while (end < result.seconds - 1 && !detailed(end) && end - s < 10) end += 1;
    rows.push({ label: end - s === 1 ? `${s}` : `${s}–${end - 1} (avg)`, ...columns(s, end) });
    s = end;
  }
  const widest = Math.max(1, ...rows.map((row) => row.landings));
  const players = scenario.players;
  const lines = [
    `   second          landings  %crowd${comparison ? '  no spread' : ''}   probes   starts  playback  all requests  landings (${scenario.landing.server})`,
  ];
  for (const row of rows) {
    const bar = '█'.repeat(Math.round((40 * row.landings) / widest));
    const without = comparison ? `${((row.without / players) * 100).toFixed(1).padStart(8)} %` : '';
    lines.push(
      `   ${row.label.padEnd(14)} ${String(row.landings).padStart(9)} ${((row.landings / players) * 100).toFixed(1).padStart(6)} %${without} ${String(row.probes).padStart(8)} ${String(row.starts).padStart(8)} ${String(row.playback).padStart(9)} ${String(row.probes + row.starts + row.playback).padStart(13)}  ${bar}`,
    );
  }
  return lines.join('\n');
}

/** Per-second rows around the outage start and the recovery, 10 s averages elsewhere. */
function histogram(result) {
  const { scenario } = result;
  const down = Math.floor(scenario.downFromMs / 1000);
  const up = Math.floor(scenario.upAgainAtMs / 1000);
  const detailed = (s) => (s >= down - 2 && s < down + 12) || (s >= up - 3 && s < up + 42);
  const rows = [];
  for (let s = 0; s < result.seconds - 1;) {
    if (detailed(s)) {
      rows.push({ label: `${s}`, probes: result.probes[s], returns: result.returns[s], playback: result.playback[s] });
      s += 1;
      continue;
    }
    let end = s;
    while (end < result.seconds - 1 && !detailed(end) && end - s < 10) end += 1;
    const n = end - s;
    const avg = (array) => Math.round(array.subarray(s, end).reduce((a, b) => a + b, 0) / n);
    rows.push({
      label: `${s}–${end - 1} (avg)`,
      probes: avg(result.probes),
      returns: avg(result.returns),
      playback: avg(result.playback),
    });
    s = end;
  }
  const returnsTotal = result.returns.reduce((a, b) => a + b, 0) || 1;
  const widest = Math.max(1, ...rows.map((row) => row.probes + row.returns));
  const lines = ['   second          probes  returns  %ret  playback  probes+returns'];
  for (const row of rows) {
    const bar = '█'.repeat(Math.round((40 * (row.probes + row.returns)) / widest));
    lines.push(
      `   ${row.label.padEnd(14)} ${String(row.probes).padStart(7)} ${String(row.returns).padStart(8)} ${((row.returns / returnsTotal) * 100).toFixed(1).padStart(5)} ${String(row.playback).padStart(9)}  ${bar}`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const chosen = options.sweep
    ? SWEEP_OUTAGES_S.map(sweepScenario)
    : SCENARIOS.filter((s) => options.scenario === 'all' || s.name === options.scenario);
  if (chosen.length === 0) throw new Error(`no scenario named ${options.scenario} (${SCENARIOS.map((s) => s.name).join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'live-player-crowd-'));
  const started = Date.now();
  const load = (/** @type {number[]} */ l) => l.map((x) => Math.round(x * 100) / 100);
  const report = {
    measuredAt: new Date(started).toISOString(),
    command: ['npm run crowd', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    gitHead: git('rev-parse', 'HEAD'),
    // Simulated time: the figures do not depend on the machine's load, only the run's duration does.
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAtStart: load(loadavg()) },
    players: options.players,
    seed: options.seed,
    scenarios: [],
  };
  let failed = false;
  try {
    const bundle = await bundleSimulation(dir);
    const { DEFAULT_THRESHOLDS } = await import(bundle);
    console.log(
      `crowd: ${options.players} players per scenario, default pacing (retry base ${DEFAULT_THRESHOLDS.retryBaseMs} ms, cap ${DEFAULT_THRESHOLDS.retryCapMs} ms), ${options.workers} workers, seed ${options.seed}\n`,
    );
    for (const base of chosen) {
      const scenario = { ...base, players: options.players, targetDurationMs: 2000, seed: options.seed };
      const started = Date.now();
      const result = await simulate(bundle, scenario, options.workers);
      if (scenario.landing) {
        const figures = landingFiguresOf(result);
        const checks = landingVerdicts(figures);
        // The comparison is not a goal: --check leaves it out.
        const comparison =
          scenario.compare && !options.check
            ? await simulate(bundle, { ...scenario, timing: scenario.compare.timing }, options.workers)
            : null;
        const compared = comparison ? landingFiguresOf(comparison) : null;
        console.log(`■ ${scenario.name}: ${scenario.description}  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        printLanding('as the element is', figures);
        if (compared) printLanding(`with ${scenario.compare.label}`, compared);
        console.log(`  goals: ${checks.map(([name, ok]) => `${ok ? 'met' : 'MISSED'}: ${name}`).join('; ')}`);
        console.log(landingHistogram(result, comparison));
        console.log('');
        failed ||= checks.some(([, ok]) => !ok);
        report.scenarios.push({
          ...scenario,
          figures,
          goals: Object.fromEntries(checks),
          ...(compared ? { comparison: { label: scenario.compare.label, timing: scenario.compare.timing, figures: compared } } : {}),
        });
        continue;
      }
      const figures = figuresOf(result);
      const checks = verdicts(figures);
      const { waitAfterRecoveryS: wait, preliveRequestsPer10s: prelive, idleRequestsPer10s: idle } = figures;
      console.log(`■ ${scenario.name}: ${scenario.description}  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      console.log(
        `  returned ${figures.returned}/${figures.players} (stranded ${figures.stranded}); wait after recovery: median ${wait.median.toFixed(1)} s, p95 ${wait.p95.toFixed(1)} s, max ${wait.max.toFixed(1)} s`,
      );
      console.log(
        `  peak return share: ${pct(figures.peakReturnShare)} of ${figures.returnRequests} return requests, in second ${figures.peakReturnSecond}`,
      );
      console.log(
        `  requests per 10 s of prelive: primary origin ${prelive.primaryOrigin.toFixed(2)}${prelive.fallbackOrigin === null ? '' : `, fallback origin ${prelive.fallbackOrigin.toFixed(2)}, both ${prelive.total.toFixed(2)}`}; idle players (after 1 min of prelive, ${figures.idleHours.toFixed(0)} player-hours): ${idle === null ? '—' : idle.toFixed(2)}; early requests against Retry-After: ${figures.retryAfterViolations}`,
      );
      if (!options.sweep) {
        console.log(`  goals: ${checks.map(([name, ok]) => `${ok ? 'met' : 'MISSED'}: ${name}`).join('; ')}`);
        console.log(histogram(result));
        failed ||= checks.some(([, ok]) => !ok);
      }
      console.log('');
      report.scenarios.push({ ...scenario, figures, goals: Object.fromEntries(checks) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.machine.loadAtEnd = load(loadavg());
  report.durationS = Math.round((Date.now() - started) / 1000);
  const committed = !options.check && (options.sweep || options.scenario === 'all');
  const out = options.check
    ? join(root, 'test-results', 'crowd-check.json')
    : join(
        root,
        'bench-results',
        options.sweep ? 'crowd-sweep.json' : options.scenario === 'all' ? 'crowd.json' : `crowd-${options.scenario}.json`,
      );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`figures written to ${out}`);
  if (committed) writeTables({ log: (line) => console.log(line) });
  if (options.check && failed) {
    console.error('crowd: a goal was missed (see above)');
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(`crowd: ${error.message}`);
  process.exit(1);
});
