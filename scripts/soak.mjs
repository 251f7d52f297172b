// npm run soak -- --minutes N [--seed S]
// The chaos soak (test/soak/soak.test.ts) for N minutes (default 2; fractions allowed, at most
// 240), alone: web-test-runner with only that file, SOAK_MINUTES and SOAK_SEED in its
// environment. It stops by itself (the soak is bounded; a hard limit of N + 10 minutes kills a
// stuck run). Prints the figures and writes them to bench-results/soak.json (committed), then
// rewrites the docs' tables made from it (scripts/docs-tables.mjs). Exits 1 when an invariant
// was violated or the run failed. (The soak that `npm test` runs writes test-results/soak.json
// only: test/support/soak-plugin.mjs.)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SOAK_MINUTES, MAX_SOAK_MINUTES, SOAK_REPORT_FILE } from '../test/support/soak-plugin.mjs';
import { writeTables } from './docs-tables.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'bench-results/soak.json';

function usage(message) {
  if (message) console.error(`soak: ${message}`);
  console.error(`usage: npm run soak -- [--minutes N] [--seed S]   (N in (0, ${MAX_SOAK_MINUTES}], default ${DEFAULT_SOAK_MINUTES})`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { minutes: DEFAULT_SOAK_MINUTES, seed: process.env.SOAK_SEED ?? '' };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--minutes') options.minutes = Number(value());
    else if (flag === '--seed') options.seed = value();
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument '${argv[i]}'`);
  }
  if (!Number.isFinite(options.minutes) || options.minutes <= 0 || options.minutes > MAX_SOAK_MINUTES) {
    usage(`--minutes must be a number in (0, ${MAX_SOAK_MINUTES}]`);
  }
  if (options.seed !== '' && !/^\d+$/.test(String(options.seed))) usage('--seed must be a non-negative integer');
  return options;
}

const { minutes, seed } = parseArgs(process.argv.slice(2));
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
const loadAtStart = load();
rmSync(join(root, SOAK_REPORT_FILE), { force: true });

const env = { ...process.env, TEST_FILES: 'test/soak/soak.test.ts', SOAK_MINUTES: String(minutes), SOAK_SEED: String(seed) };
const wtr = join(root, 'node_modules/.bin/wtr');
console.log(`soak: ${minutes} min${seed !== '' ? `, seed ${seed}` : ''} (web-test-runner, test/soak/soak.test.ts)`);
const child = spawn(wtr, ['--config', 'web-test-runner.config.mjs'], { cwd: root, env, stdio: 'inherit', detached: true });
const hardLimitMs = (minutes + 10) * 60000;
const killer = setTimeout(() => {
  console.error(`soak: still running after ${hardLimitMs / 60000} min; stopping it`);
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}, hardLimitMs);
const forward = (signal) => () => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
};
process.once('SIGINT', forward('SIGINT'));
process.once('SIGTERM', forward('SIGTERM'));

const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
clearTimeout(killer);

const reportPath = join(root, SOAK_REPORT_FILE);
if (!existsSync(reportPath)) {
  console.error(`soak: no report (${SOAK_REPORT_FILE}): the run failed before its end (exit ${code})`);
  process.exit(code || 1);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
report.machine = { cores: cpus().length, loadAtStart, loadAtEnd: load() };
mkdirSync(join(root, dirname(OUT)), { recursive: true });
writeFileSync(join(root, OUT), `${JSON.stringify(report, null, 2)}\n`);
writeTables({ log: (line) => console.log(line) });

const s = (ms) => (ms == null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const c = (x) =>
  `MediaSource ${x.mediaSources}, hls.js ${x.hlsInstances}, RTCPeerConnection ${x.peerConnections}, timers ${x.timers}, listeners ${x.listeners.total}`;
const lines = [
  '',
  `soak figures (seed ${report.seed}, replay: npm run soak -- --minutes ${report.minutes} --seed ${report.seed})`,
  `  duration               ${s(report.durationMs)} in ${report.cycles} chaos phase(s), ${report.samples} screen samples`,
  `  faults injected        ${report.faultsInjected} (both of one player's sources at once: ${report.bothDownEvents}), recoveries ${report.recoveries}`,
  `  backoff cap            ${s(report.backoffCapMs)} (read from src)`,
];
for (const [id, p] of Object.entries(report.players)) {
  lines.push(
    `  player ${id} (${p.sources})`,
    `    state changes ${p.stateChanges}, switches ${p.switches}, to prelive ${p.toPrelive}`,
    `    stops: ${p.stops.map((x) => (x.detectMs == null ? 'NOT detected' : `stopped in ${s(x.detectMs)}`)).join(', ') || 'none'}`,
    `    longest without picture ${s(p.longestNoPictureMs)} (counted against the 5 s limit: ${s(p.longestOwedMs)}), longest prelive wait ${s(p.longestPreliveWaitMs)}`,
    `    longest frozen picture (on screen, video not advancing) ${s(p.longestFrozenPictureMs)}${p.longestFrozenPictureFrom ? ` from ${p.longestFrozenPictureFrom}` : ''}`,
  );
}
const q = report.counts.quiet;
lines.push(
  `  counts, baseline       ${c(report.counts.baseline)}`,
  `  counts, first quiet    ${c(q[0])}`,
  `  counts, last quiet     ${c(q[q.length - 1])}`,
  `  counts, after removal  ${c(report.counts.final)}`,
  `  violations             ${report.violations.length}`,
  ...report.violations.map((v) => `    - [${v.invariant}] ${v.player ?? ''} ${v.detail}`),
  `  written to ${OUT}`,
);
console.log(lines.join('\n'));
process.exit(code !== 0 ? code : report.violations.length ? 1 : 0);
