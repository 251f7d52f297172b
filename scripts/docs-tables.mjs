// The figure tables of docs/*.md, written from the JSON that the measuring scripts leave in
// bench-results/, so the docs cannot drift from the figures. Each table sits in a marked region:
//
//   <!-- generated:NAME (bench-results/FILE.json, the command that measures it) -->
//   … rewritten by this script: never edit by hand …
//   <!-- /generated -->
//
// Every measuring script calls writeTables() after writing its JSON (bench/run.mjs,
// bench/crowd/run.mjs, scripts/soak.mjs, test/background/run.mjs, scripts/check-bundle.mjs
// --record), so a new measurement rewrites its tables; commit the JSON and the docs together.
// The bench's tables are the ones its report prints (bench/report.mjs), rendered as Markdown.
//
//   node scripts/docs-tables.mjs           rewrite every region (npm run docs:tables)
//   node scripts/docs-tables.mjs --check   exit 1 when a region differs from its JSON (or, with the
//                                          JSON missing, from "Not measured yet"), or a region's
//                                          name is unknown (npm run check:docs)
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, renderMarkdown, reportTables, timelineNotes, timelineTables } from '../bench/report.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DOCS_DIR = 'docs';

/** Where each table's figures come from, and the command that measures them again. */
const SOURCES = {
  bench: { file: 'bench-results/latest.json', command: 'npm run bench' },
  crowd: { file: 'bench-results/crowd.json', command: 'npm run crowd' },
  crowdSweep: { file: 'bench-results/crowd-sweep.json', command: 'npm run crowd -- --sweep --players 20000' },
  background: { file: 'bench-results/background.json', command: 'npm run background' },
  soak: { file: 'bench-results/soak.json', command: 'npm run soak' },
  bundle: { file: 'bench-results/bundle.json', command: 'npm run build && npm run check:bundle -- --record' },
};

// ---------------------------------------------------------------------------------------------
// Small formatters (the bench's own are in bench/report.mjs)

const date = (/** @type {string | undefined} */ iso) => (iso ? iso.slice(0, 10) : 'an unrecorded date');
const commit = (/** @type {string | null | undefined} */ head) => (head ? `commit ${head.slice(0, 7)}` : 'commit not recorded');
const pct = (/** @type {number} */ x) => `${(100 * x).toFixed(2)} %`;
const sec = (/** @type {number | null | undefined} */ x, digits = 1) =>
  x == null || Number.isNaN(x) ? '—' : `${x.toFixed(digits)} s`;
const ms = (/** @type {number | null | undefined} */ x) => (x == null ? '—' : `${Math.round(x)} ms`);
const loads = (/** @type {number[] | undefined} */ l) => (l ? l.join(' / ') : '—');
/** The command a table says rewrites it. @param {keyof typeof SOURCES} source */
const rewrites = (source) => `\`${SOURCES[source].command}\` rewrites this table`;
/** Each goal as met or MISSED. @param {Record<string, boolean>} goals */
const goalCell = (goals) => {
  const missed = Object.entries(goals ?? {})
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  return missed.length ? `MISSED: ${missed.join('; ')}` : 'met';
};

// ---------------------------------------------------------------------------------------------
// The tables, by region name

/** The bench's note on when, where and how loaded: the same for each of its tables. @param {any} b */
function benchNote(b) {
  const m = b.machine ?? {};
  const perRun = (b.runs ?? []).map((/** @type {any} */ r) => r.load1).filter((/** @type {unknown} */ x) => typeof x === 'number');
  const med = median(perRun);
  const loaded = med != null && m.cores && med > m.cores;
  const dirty = b.element?.dirtyFiles?.length ? ` with ${b.element.dirtyFiles.length} uncommitted change(s) in src/` : '';
  return (
    `Measured ${date(b.startedAt)} (${commit(b.element?.gitHead)}${dirty}): ${b.reps} runs per scenario, Chromium ${m.chromium ?? '?'}, ` +
    `${m.cores ?? '?'} cores (${m.cpu ?? '?'}), 1 s test segments. 1-minute load average before each run: median ${med ?? '—'} ` +
    `(${perRun.length ? `${Math.min(...perRun)}–${Math.max(...perRun)}` : '—'})` +
    (loaded
      ? `, above the core count: other test runs shared the machine, so the timings are upper bounds rather than typical figures.`
      : '.') +
    ` ${rewrites('bench')}.`
  );
}

/** @type {Record<string, { source: keyof typeof SOURCES, render: (json: any) => string }>} */
const TABLES = {
  bench: {
    source: 'bench',
    render(b) {
      const t = reportTables(b.summary, { titles: true });
      const out = [benchNote(b), '', renderMarkdown(t.main)];
      if (t.baseline)
        out.push(
          '',
          'Element ÷ hls.js baseline (medians; "≤": the baseline hit the cap, so the ratio is an upper bound):',
          '',
          renderMarkdown(t.baseline),
        );
      for (const r of b.summary.filter((/** @type {any} */ r) => r.errors?.length))
        out.push('', `Runs without a result, ${r.title} (${r.player}): ${[...new Set(r.errors)].join('; ')}`);
      return out.join('\n');
    },
  },
  'bench-events': {
    source: 'bench',
    render(b) {
      const t = reportTables(b.summary, { titles: true });
      return t.failover
        ? `${renderMarkdown(t.failover)}\n\nFrom the run above (${date(b.startedAt)}); ${rewrites('bench')}.`
        : 'The element fired no `failover` event in the last run.';
    },
  },
  'bench-ladders': {
    source: 'bench',
    render(b) {
      const t = reportTables(b.summary, { titles: true });
      if (!t.ladders) return 'The last run had no ladder scenario.';
      return `${renderMarkdown(t.ladders)}\n\nMilliseconds since the fault, medians (min–max), from the run above (${date(b.startedAt)}); ${rewrites('bench')}.`;
    },
  },
  'bench-whep-timeline': {
    source: 'bench',
    render(b) {
      const rows = b.summary.filter((/** @type {any} */ r) => r.timeline);
      if (!rows.length) return 'The last run had no WHEP → WHEP breakdown.';
      return rows
        .map((/** @type {any} */ r) => {
          const { steps, marks } = timelineTables(r);
          return [
            `${r.title}: median (min–max) over ${r.timeline.n} runs, ms; each step's median is taken on its own, so the steps need not add up to the total.`,
            '',
            renderMarkdown(steps),
            '',
            'Marks since the fault, median (min–max), ms:',
            '',
            renderMarkdown(marks),
            '',
            ...timelineNotes(r).map((line) => `${line}  `),
            `From the run above (${date(b.startedAt)}); ${rewrites('bench')}.`,
          ].join('\n');
        })
        .join('\n\n');
    },
  },
  'bench-standby': {
    source: 'bench',
    render(b) {
      const t = reportTables(b.summary, { titles: true });
      if (!t.standby) return 'The last run measured no standby cost.';
      return `${renderMarkdown(t.standby)}\n\nPer minute while the primary plays, medians (min–max), from the servers' logs, CDP byte counts and WebRTC getStats; from the run above (${date(b.startedAt)}); ${rewrites('bench')}.`;
    },
  },
  crowd: {
    source: 'crowd',
    render(c) {
      const plain = c.scenarios.filter((/** @type {any} */ s) => !s.landing);
      const table = [
        [
          'scenario',
          'return requests in the busiest second (goal ≤ 5 %)',
          'wait after the recovery: median / p95 / max',
          'requests per 10 s of an idle player (goal ≤ 1)',
          'requests per 10 s, all prelive time',
          'Retry-After undercut',
          'goals',
        ],
        ...plain.map((/** @type {any} */ s) => {
          const f = s.figures;
          const both = s.fallbackDown ? ' (both origins)' : '';
          return [
            s.description,
            pct(f.peakReturnShare),
            `${sec(f.waitAfterRecoveryS.median)} / ${sec(f.waitAfterRecoveryS.p95)} / ${sec(f.waitAfterRecoveryS.max)}`,
            f.idleRequestsPer10s == null ? '—' : `${f.idleRequestsPer10s.toFixed(2)}${both}`,
            `${f.preliveRequestsPer10s.total.toFixed(2)}${both}`,
            s.down?.retryAfterMs ? `${f.retryAfterViolations} times` : '—',
            goalCell(s.goals),
          ];
        }),
      ];
      return [crowdNote(c, 'crowd'), '', renderMarkdown(table)].join('\n');
    },
  },
  'crowd-webrtc': {
    source: 'crowd',
    render(c) {
      const landing = c.scenarios.filter((/** @type {any} */ s) => s.landing);
      if (!landing.length) return 'The last crowd run had no landing scenario (webrtc-server-dies).';
      const rows = landing.flatMap((/** @type {any} */ s) => [
        { label: `${s.name}, as the element is`, f: s.figures, goals: goalCell(s.goals) },
        ...(s.comparison
          ? [{ label: `${s.name}, with ${s.comparison.label} (comparison, no goal)`, f: s.comparison.figures, goals: '—' }]
          : []),
      ]);
      const table = [
        [
          'run',
          'first CDN requests in the busiest second (goal ≤ 40 % of the crowd)',
          'busiest 1 s window anywhere',
          'outage → first CDN request: median / p95 / max',
          'CDN requests per player after the outage: probes / engine starts',
          'peak CDN requests per second',
          'players on the CDN endpoint at the end',
          'goals',
        ],
        ...rows.map(({ label, f, goals }) => [
          label,
          pct(f.peakLandingShare),
          pct(f.peakLandingWindowShare),
          `${sec(f.spreadS.median, 2)} / ${sec(f.spreadS.p95, 2)} / ${sec(f.spreadS.max, 2)}`,
          `${f.requestsPerPlayer.probes.toFixed(2)} / ${f.requestsPerPlayer.starts.toFixed(2)}`,
          String(f.peakRequestsPerSecond),
          `${f.onEndpoint} of ${f.players}`,
          goals,
        ]),
      ];
      return [
        renderMarkdown(table),
        '',
        `${landing.map((/** @type {any} */ s) => s.description).join('; ')}. From the crowd run above (${date(c.measuredAt)}); ${rewrites('crowd')}.`,
      ].join('\n');
    },
  },
  'crowd-sweep': {
    source: 'crowdSweep',
    render(c) {
      const outage = (/** @type {any} */ s) => {
        const secs = (s.upAgainAtMs - s.downFromMs) / 1000;
        return secs >= 120 && secs % 60 === 0 ? `${secs / 60} min` : `${secs} s`;
      };
      const table = [
        [`outage (404, no fallback; ${c.players} players)`, ...c.scenarios.map(outage)],
        ['return requests in the busiest second', ...c.scenarios.map((/** @type {any} */ s) => pct(s.figures.peakReturnShare))],
        [
          'wait after the recovery, median / max',
          ...c.scenarios.map(
            (/** @type {any} */ s) => `${sec(s.figures.waitAfterRecoveryS.median)} / ${sec(s.figures.waitAfterRecoveryS.max)}`,
          ),
        ],
      ];
      return [crowdNote(c, 'crowdSweep'), '', renderMarkdown(table)].join('\n');
    },
  },
  background: {
    source: 'background',
    render(bg) {
      const table = [
        [
          'engine',
          'page',
          'result',
          'hidden',
          'first new frame after shown',
          'events while hidden / after shown',
          'frames decoded while hidden',
          'longest timer gap while hidden',
          'longest gap between playlist requests while hidden',
        ],
        ...bg.summary.map((/** @type {any} */ r) => {
          const f = r.figures ?? {};
          const decoded =
            f.decodedWhileHidden == null
              ? '—'
              : `${f.decodedWhileHidden}${f.decodingStoppedAfterMs != null ? ` (decoding stopped after ${sec(f.decodingStoppedAfterMs / 1000)}; playback went on)` : ''}`;
          return [
            r.engine,
            r.player,
            r.passed ? 'passed' : `FAILED: ${(r.reasons ?? []).join('; ')}`,
            f.hiddenMs == null ? '—' : sec(f.hiddenMs / 1000),
            ms(f.firstNewFrameMs),
            `${f.eventsWhileHidden ?? '—'} / ${f.eventsAfterShown ?? '—'}`,
            decoded,
            f.maxTimerGapHiddenMs == null ? '—' : sec(f.maxTimerGapHiddenMs / 1000),
            f.maxPlaylistGapHiddenMs == null ? '—' : sec(f.maxPlaylistGapHiddenMs / 1000),
          ];
        }),
      ];
      const engines = bg.engines ?? [];
      const notes = [
        ...engines
          .filter((/** @type {any} */ e) => !e.ran)
          .map((/** @type {any} */ e) => `${e.engine} could not run (at '${e.stage}'${e.hung ? ', its page hung' : ''}): ${e.error}.`),
        ...engines.flatMap((/** @type {any} */ e) =>
          (e.skipped ?? []).map((/** @type {any} */ s) => `${e.engine}: ${s.page} skipped (${s.reason}).`),
        ),
        ...engines
          .filter((/** @type {any} */ e) => e.hide)
          .map((/** @type {any} */ e) => `${e.engine} (${e.version}) hidden with: ${e.hide}; shown with: ${e.show}.`),
      ];
      const o = bg.options ?? {};
      const m = bg.machine ?? {};
      return [
        `Measured ${date(bg.date)}${bg.gitHead ? ` (${commit(bg.gitHead)})` : ''} with \`npm run background\`: ${(o.engines ?? []).join(', ')} at the same time, each page hidden ${o.minutes} min, watched ${o.observeSeconds} s after it was shown again; ${bg.passed ? 'passed' : 'FAILED'} in ${bg.durationSeconds} s. Load average at the end (1 / 5 / 15 min) ${loads(m.loadAtEnd)} on ${m.cores} cores${m.loadAtEnd?.[0] > m.cores ? ': a loaded machine, shared with other test runs' : ''}. ${rewrites('background')}.`,
        '',
        renderMarkdown(table),
        '',
        ...notes.map((n) => `- ${n}`),
      ].join('\n');
    },
  },
  soak: {
    source: 'soak',
    render(s) {
      const table = [
        [
          'player',
          'sources',
          'state changes',
          'switches',
          'to prelive',
          'stops detected in',
          'longest without picture (counted against the 5 s limit)',
          'longest frozen picture',
        ],
        ...Object.entries(s.players ?? {}).map(([id, p]) => [
          id,
          p.sources,
          String(p.stateChanges),
          String(p.switches),
          String(p.toPrelive),
          (p.stops ?? []).map((/** @type {any} */ x) => (x.detectMs == null ? 'NOT detected' : ms(x.detectMs))).join(', ') || 'none',
          `${sec(p.longestNoPictureMs / 1000)} (${sec(p.longestOwedMs / 1000)})`,
          sec(p.longestFrozenPictureMs / 1000),
        ]),
      ];
      const counts = (/** @type {any} */ x) =>
        x
          ? `MediaSource ${x.mediaSources}, hls.js ${x.hlsInstances}, RTCPeerConnection ${x.peerConnections}, timers ${x.timers}, listeners ${x.listeners?.total}`
          : '—';
      const quiet = s.counts?.quiet ?? [];
      const m = s.machine ?? {};
      return [
        `Measured ${date(s.at)} with \`npm run soak -- --minutes ${s.minutes} --seed ${s.seed}\` (that command replays it): ${sec((s.durationMs ?? 0) / 1000)} in ${s.cycles} chaos phases, ${s.samples} screen samples; ${s.faultsInjected} faults injected (both of one player's streams at once: ${s.bothDownEvents}), ${s.recoveries} recoveries; ${(s.violations ?? []).length} violations. ${m.cores ? `Load average (1 / 5 / 15 min) ${loads(m.loadAtStart)} at the start, ${loads(m.loadAtEnd)} at the end, on ${m.cores} cores${m.loadAtStart?.[0] > m.cores ? ': a loaded machine, shared with other test runs' : ''}.` : 'Load not recorded.'} \`${SOURCES.soak.command}\` rewrites this table.`,
        '',
        renderMarkdown(table),
        '',
        `In-page counts (open, after a real GC): before the players ${counts(s.counts?.baseline)}; at the first quiet point ${counts(quiet[0])}; at the last (${quiet.length} in all) ${counts(quiet.at(-1))}; after the players were removed ${counts(s.counts?.final)}.`,
        ...(s.violations ?? []).map((/** @type {any} */ v) => `- violation [${v.invariant}] ${v.player ?? ''} ${v.detail}`),
      ].join('\n');
    },
  },
  bundle: {
    source: 'bundle',
    render(b) {
      const kib = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
      const table = [
        ['what', 'gzipped', 'files'],
        ...b.rows.map((/** @type {any} */ r) => [r.label, `${r.bytes} B (${kib(r.bytes)})`, r.files]),
      ];
      return [
        `Measured ${date(b.measuredAt)} (${commit(b.gitHead)}) from \`dist/\`; budget ${b.budget} B (${kib(b.budget)}) per protocol, each file gzipped on its own. \`${SOURCES.bundle.command}\` rewrites this table; \`npm run check:bundle\` (part of \`npm test\`) checks the budget on every run.`,
        '',
        renderMarkdown(table),
      ].join('\n');
    },
  },
};

/** The crowd's note: when, how many, and why the machine's load does not matter. @param {any} c @param {keyof typeof SOURCES} source */
function crowdNote(c, source) {
  const m = c.machine ?? {};
  return (
    `Simulated ${date(c.measuredAt)} (${commit(c.gitHead)}) with \`${c.command ?? SOURCES[source].command}\`: ${c.players} players per scenario, seed ${c.seed}, 2 s segments. ` +
    `Simulated time: the machine's load (${loads(m.loadAtStart)} at the start on ${m.cores ?? '?'} cores) changes how long the run takes (${c.durationS ?? '?'} s), not the figures. ` +
    `${rewrites(source)}.`
  );
}

// ---------------------------------------------------------------------------------------------
// Regions

const REGION = /<!-- generated:([\w-]+)[^\n]*?-->\n([\s\S]*?)<!-- \/generated -->/g;

/** @param {string} file */
const read = (file) => readFileSync(join(ROOT, file), 'utf8');

/** The docs that may hold regions: every Markdown file in docs/. */
function docFiles() {
  return readdirSync(join(ROOT, DOCS_DIR))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `${DOCS_DIR}/${name}`);
}

/**
 * What a region says while its JSON does not exist: no figures, and the command that measures
 * them. A doc never shows figures without the JSON they came from.
 * @param {keyof typeof SOURCES} source
 */
const notMeasured = (source) =>
  `Not measured yet: \`${SOURCES[source].command}\` measures it, writes \`${SOURCES[source].file}\` and this table.`;

/**
 * Rewrites (or, with `check`, compares) every generated region of the docs from its JSON.
 * A region whose JSON is missing says so (notMeasured), and is checked against that text.
 * @param {{ check?: boolean, log?: (line: string) => void }} [options]
 * @returns {{ problems: string[], changed: string[] }}
 */
export function writeTables({ check = false, log = () => {} } = {}) {
  /** @type {Map<string, any>} */
  const cache = new Map();
  const json = (/** @type {keyof typeof SOURCES} */ source) => {
    if (!cache.has(source)) {
      const file = SOURCES[source].file;
      cache.set(source, existsSync(join(ROOT, file)) ? JSON.parse(read(file)) : null);
    }
    return cache.get(source);
  };
  const problems = [];
  const changed = [];
  const seen = new Set();
  /** @type {Set<string>} */
  const unmeasured = new Set();
  for (const doc of docFiles()) {
    const before = read(doc);
    const after = before.replace(REGION, (whole, name, body) => {
      seen.add(name);
      const table = TABLES[name];
      if (!table) {
        problems.push(`${doc}: unknown generated region '${name}' (known: ${Object.keys(TABLES).join(', ')})`);
        return whole;
      }
      const { file, command } = SOURCES[table.source];
      const data = json(table.source);
      if (!data) unmeasured.add(`${file} (\`${command}\`)`);
      const fresh = `${(data ? table.render(data) : notMeasured(table.source)).trimEnd()}\n`;
      if (check && fresh !== body) problems.push(`${doc}: region '${name}' differs from ${file} (run \`npm run docs:tables\`)`);
      return `<!-- generated:${name} (${file}, ${command}) -->\n${fresh}<!-- /generated -->`;
    });
    if (after !== before) {
      changed.push(doc);
      if (!check) {
        writeFileSync(join(ROOT, doc), after);
        log(`docs-tables: rewrote the generated tables of ${doc}`);
      }
    }
  }
  // A table no doc shows any more is a region deleted by mistake (or a table to remove here).
  for (const name of Object.keys(TABLES))
    if (!seen.has(name)) problems.push(`no doc in ${DOCS_DIR}/ has the generated region '${name}'`);
  for (const u of unmeasured) log(`docs-tables: not measured yet, its tables say so: ${u}`);
  if (!check) for (const p of problems) log(`docs-tables: ${p}`);
  return { problems, changed, unmeasured: [...unmeasured] };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const { problems, changed, unmeasured } = writeTables({ check, log: (line) => console.log(line) });
  if (check) {
    for (const p of problems) console.error(`check-docs: ${p}`);
    if (problems.length || changed.length) {
      if (!problems.length)
        console.error(`check-docs: ${changed.join(', ')} differ from bench-results/ (run \`npm run docs:tables\`)`);
      process.exit(1);
    }
    console.log(
      `check-docs: every generated table matches its JSON in bench-results/${unmeasured.length ? ` (or says "Not measured yet": ${unmeasured.length} JSON file(s) missing)` : ''}.`,
    );
  } else if (!changed.length) {
    console.log('docs-tables: every generated table was up to date.');
  }
  if (!check && problems.length) process.exit(1);
}
