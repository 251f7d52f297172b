// Summaries of the bench runs: medians with min–max per scenario and player, the target of
// each scenario (met / missed, a benchmark, never a failure), ratios to the hls.js baseline,
// the element's own `failover` figures when it fires that event, and the JSON written to
// bench-results/.

/** @param {number[]} xs */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * @param {any[]} runs @param {(r: any) => unknown} pick
 * @returns {{ median: number, min: number, max: number, n: number } | null}
 */
function stat(runs, pick) {
  const xs = runs.map(pick).filter((x) => typeof x === 'number');
  if (!xs.length) return null;
  return { median: /** @type {number} */ (median(xs)), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/**
 * One summary row per scenario and player.
 * @param {import('./scenarios.mjs').Scenario[]} scenarios
 * @param {any[]} runs   { scenario, player, rep, result | error }
 * @param {number} capMs
 */
export function summarise(scenarios, runs, capMs) {
  const rows = [];
  for (const sc of scenarios) {
    for (const player of ['element', 'baseline']) {
      const all = runs.filter((r) => r.scenario === sc.name && r.player === player);
      if (!all.length) continue;
      const ok = all.filter((r) => r.result && !r.result.error).map((r) => r.result);
      const capped = ok.filter((r) => r.capped).length;
      const row = {
        scenario: sc.name,
        title: sc.title,
        player,
        runs: all.length,
        failedRuns: all.length - ok.length,
        capped,
        firstFrameMs: stat(ok, (r) => r.firstFrameMs),
        // A run that never switched counts as the cap: a lower bound, flagged in `capped`.
        freezeMs: stat(ok, (r) => r.freezeMs),
        faultToFrameMs: stat(ok, (r) => (r.capped ? capMs : r.faultToFrameMs)),
        pxSwitchMs: stat(ok, (r) => (r.capped ? capMs : (r.px?.switchMs ?? r.px?.firstFrameMs))),
        pxBlackPoster: stat(ok, (r) => (r.px ? (r.px.blackFrames ?? 0) + (r.px.posterFrames ?? 0) : null)),
        pxLongestNonStreamMs: stat(ok, (r) => r.px?.longestNonStreamMs),
        pxFreezeMs: stat(ok, (r) => r.px?.freezeMs),
        standby: ok[0]?.standby
          ? {
              mode: ok[0].standby.mode,
              requestsPerMin: stat(ok, (r) => r.standby?.requestsPerMin),
              kbPerMin: stat(ok, (r) => r.standby?.kbPerMin),
              sessionsOpen: stat(ok, (r) => r.standby?.sessionsOpen),
            }
          : null,
        // The last event is the measured switch (switch-back runs also saw the first one).
        failover: ok.some((r) => r.failover?.length) && {
          freezeMs: stat(ok, (r) => r.failover?.at(-1)?.freezeMs),
          detectedMs: stat(ok, (r) => r.failover?.at(-1)?.sinceFault?.detected),
          firstFrameMs: stat(ok, (r) => r.failover?.at(-1)?.sinceFault?.firstFrame),
          count: ok.filter((r) => r.failover?.length).length,
        },
        // WHEP → WHEP: where the time goes (medians of each step over the runs).
        timeline: ok.some((r) => r.timeline) ? summariseTimeline(ok.map((r) => r.timeline).filter(Boolean)) : null,
        // Ladders: which endpoint the player went to (expected, another, none within the cap).
        ladder: sc.keys
          ? {
              expected: sc.keys.to,
              sinceFault: Object.fromEntries(
                ['lastFrame', 'started', 'ready', 'decided', 'onScreen'].map((k) => [k, stat(ok, (r) => r.ladder?.sinceFault?.[k])]),
              ),
              landedOn: Object.fromEntries(
                [...new Set(all.map((r) => r.result?.ladder?.landedOn ?? 'none'))].map((k) => [
                  k,
                  all.filter((r) => (r.result?.ladder?.landedOn ?? 'none') === k).length,
                ]),
              ),
            }
          : null,
        target: player === 'element' ? (sc.target ?? null) : null,
        met: null,
        vsBaseline: null,
        errors: all.filter((r) => r.error || r.result?.error).map((r) => r.error ?? r.result.error),
      };
      const figure = sc.target && row[sc.target.metric];
      if (row.target && figure) row.met = figure.median <= sc.target.max;
      rows.push(row);
    }
  }
  // Ratios element / baseline (medians). A capped baseline median is a lower bound, so the
  // ratio is an upper bound ("≤").
  for (const row of rows.filter((r) => r.player === 'element')) {
    const base = rows.find((r) => r.player === 'baseline' && r.scenario === row.scenario);
    if (!base) continue;
    const bound = base.capped * 2 > base.runs - base.failedRuns;
    /** @param {'freezeMs' | 'faultToFrameMs' | 'firstFrameMs' | 'pxLongestNonStreamMs'} key */
    const ratio = (key) => {
      const a = row[key]?.median;
      const b = base[key]?.median;
      return a == null || !b ? null : { ratio: Math.round((a / b) * 1000) / 1000, upperBound: bound };
    };
    row.vsBaseline = {
      freezeMs: ratio('freezeMs'),
      faultToFrameMs: ratio('faultToFrameMs'),
      firstFrameMs: ratio('firstFrameMs'),
      pxLongestNonStreamMs: ratio('pxLongestNonStreamMs'),
    };
  }
  return rows;
}

/** Median (min–max) of every numeric field of each group of the per-run timelines. @param {any[]} timelines */
function summariseTimeline(timelines) {
  /** @type {Record<string, Record<string, any>>} */
  const out = { n: /** @type {any} */ (timelines.length) };
  for (const group of ['steps', 'sinceFault', 'server']) {
    out[group] = {};
    for (const key of Object.keys(timelines[0][group])) out[group][key] = stat(timelines, (t) => t[group][key]);
  }
  out.pollGapMs = stat(timelines, (t) => t.pollGapMs);
  out.decodedBy = Object.fromEntries(['getStats', 'rVFC'].map((k) => [k, timelines.filter((t) => t.decodedBy === k).length]));
  out.probesAfterFault = stat(timelines, (t) => t.probesAfterFault);
  return out;
}

/** @param {{ median: number, min: number, max: number } | null | undefined} s */
const fmt = (s, capped = false) =>
  s ? `${capped ? '≥' : ''}${Math.round(s.median)} (${Math.round(s.min)}–${Math.round(s.max)})` : '—';
/** @param {{ ratio: number, upperBound: boolean } | null | undefined} r */
const fmtRatio = (r) => (r ? `${r.upperBound ? '≤' : ''}${r.ratio < 0.1 ? r.ratio.toFixed(3) : r.ratio.toFixed(2)}×` : '—');

/** A table as aligned plain text (the printed report). @param {string[][]} table  the first row is the header */
export function render(table) {
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => [...row[i]].length)));
  const line = (/** @type {string[]} */ row) => row.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join('  ');
  return [line(table[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n');
}

/** The same table as Markdown (the docs' generated tables, scripts/docs-tables.mjs). @param {string[][]} table */
export function renderMarkdown(table) {
  const line = (/** @type {string[]} */ row) => `| ${row.map((c) => (c === '' ? ' ' : c.replaceAll('|', '\\|'))).join(' | ')} |`;
  return [line(table[0]), `|${table[0].map(() => '---').join('|')}|`, ...table.slice(1).map(line)].join('\n');
}

/**
 * The report's tables as rows of cells (header first), for render() or renderMarkdown(); a
 * table with nothing to show is null. Each row is named by its scenario's name, or with
 * `titles` by its title (the docs).
 * @param {any[]} rows  summarise()'s rows
 * @param {{ titles?: boolean }} [options]
 */
export function reportTables(rows, { titles = false } = {}) {
  const label = (/** @type {any} */ r) => (titles ? r.title : r.scenario);
  const main = [
    [
      'scenario',
      'player',
      'runs',
      'freeze',
      'fault→1st frame',
      'first frame',
      'px: switch',
      'px: black+poster',
      'px: non-stream',
      'px: freeze',
      'target',
      'met',
    ],
    ...rows.map((r) => {
      const cappedMedian = r.capped * 2 > r.runs - r.failedRuns;
      return [
        label(r),
        r.player,
        `${r.runs - r.failedRuns}/${r.runs}${r.capped ? ` (${r.capped} capped)` : ''}`,
        fmt(r.freezeMs, cappedMedian),
        fmt(r.faultToFrameMs, cappedMedian),
        fmt(r.firstFrameMs),
        fmt(r.pxSwitchMs, cappedMedian),
        fmt(r.pxBlackPoster),
        fmt(r.pxLongestNonStreamMs),
        fmt(r.pxFreezeMs),
        r.target ? `${r.target.metric === 'freezeMs' ? 'freeze' : 'first frame'} ≤ ${r.target.max}` : '',
        r.met == null ? '' : r.met ? 'met' : 'MISSED',
      ];
    }),
  ];
  const withBase = rows.filter((r) => r.vsBaseline);
  const baseline = withBase.length
    ? [
        ['scenario', 'freeze', 'fault→1st frame', 'first frame', 'px: non-stream'],
        ...withBase.map((r) => [
          label(r),
          fmtRatio(r.vsBaseline.freezeMs),
          fmtRatio(r.vsBaseline.faultToFrameMs),
          fmtRatio(r.vsBaseline.firstFrameMs),
          fmtRatio(r.vsBaseline.pxLongestNonStreamMs),
        ]),
      ]
    : null;
  // The baseline never touches its fallback before a failure: only the element's rows.
  const standbyRows = rows.filter((r) => r.standby && r.player === 'element');
  const standby = standbyRows.length
    ? [
        ['scenario', 'standby', 'requests/min', 'KB/min', 'WHEP sessions open'],
        ...standbyRows.map((r) => [
          label(r),
          r.standby.mode,
          fmt(r.standby.requestsPerMin),
          fmt(r.standby.kbPerMin),
          fmt(r.standby.sessionsOpen),
        ]),
      ]
    : null;
  const fo = rows.filter((r) => r.failover);
  const failover = fo.length
    ? [
        ['scenario', 'player', 'runs with event', 'reported freezeMs', 'detectedAt', 'firstFrameAt'],
        ...fo.map((r) => [
          label(r),
          r.player,
          String(r.failover.count),
          fmt(r.failover.freezeMs),
          fmt(r.failover.detectedMs),
          fmt(r.failover.firstFrameMs),
        ]),
      ]
    : null;
  const ladderRows = rows.filter((r) => r.ladder);
  const ladders = ladderRows.length
    ? [
        ['scenario', 'expected', 'went to', 'old last frame', 'new started', 'new ready (hidden)', 'decided', 'new on screen'],
        ...ladderRows.map((r) => {
          const m = r.ladder.sinceFault;
          return [
            label(r),
            r.ladder.expected,
            Object.entries(r.ladder.landedOn)
              .map(([k, n]) => `${k} ×${n}`)
              .join(', '),
            fmt(m.lastFrame),
            fmt(m.started),
            fmt(m.ready),
            fmt(m.decided),
            fmt(m.onScreen),
          ];
        }),
      ]
    : null;
  const timelines = rows.filter((r) => r.timeline).map((r) => ({ row: r, ...timelineTables(r) }));
  return { main, baseline, standby, failover, ladders, timelines };
}

/** The printed report. @param {any[]} rows @param {number} capMs */
export function formatReport(rows, capMs) {
  const t = reportTables(rows);
  const out = [];
  out.push('Medians (min–max) in ms; "≥" = the median hit the cap (no switch within the cap, a lower bound).');
  out.push('freeze: longest gap between frames of the visible video (requestVideoFrameCallback), fault → 5 s after the switch.');
  out.push('px: from the painted screencast frames (centre of the player): switch = first fallback-colour paint after the fault;');
  out.push('black+poster = such paints between the last old-stream and the first new-stream paint (first-frame rows: before the');
  out.push('first frame); the screencast paints only on change, so one black paint can last long: see non-stream, the longest');
  out.push('stretch with no stream colour painted; px freeze = longest gap between stream-colour paints.');
  out.push(render(t.main));
  if (t.baseline) {
    out.push('', 'Element / hls.js baseline (medians; "≤" where the baseline hit the cap, so the ratio is an upper bound):');
    out.push(render(t.baseline));
  }
  if (t.standby) {
    out.push(
      '',
      "Standby cost while the primary plays (the fallback source; per minute, from the servers' logs, CDP byte counts and WebRTC getStats):",
    );
    out.push(render(t.standby));
  }
  if (t.failover) {
    out.push('', "The element's own `failover` events (times since the fault):");
    out.push(render(t.failover));
  } else {
    out.push('', 'The element fired no `failover` event.');
  }
  if (t.ladders) {
    out.push(
      '',
      'Ladders: where the switch went (the endpoint whose frame came on screen first after the fault; pixels cannot tell one stream\'s endpoints apart, so "px: switch" is — for these):',
    );
    out.push(render(t.ladders));
    out.push(
      '(ms since the fault: started = failover switchStartedAt, ready = its first frame in its hidden video, decided = failover detectedAt)',
    );
  }
  for (const r of rows.filter((x) => x.timeline)) out.push('', formatTimeline(r));
  const errors = rows.filter((r) => r.errors.length);
  for (const r of errors) out.push(`! ${r.scenario}/${r.player}: ${[...new Set(r.errors)].join('; ')}`);
  out.push('', `Cap: ${capMs / 1000} s after the fault.`);
  return out.join('\n');
}

/** A WHEP → WHEP row's breakdown as tables: the steps, and the marks since the fault. @param {any} row */
export function timelineTables(row) {
  const st = row.timeline.steps;
  const sf = row.timeline.sinceFault;
  const keys = Object.keys(sf);
  return {
    steps: [
      ['detection', 'offer+gather', 'POST', 'ICE', 'DTLS', 'keyframe wait', 'render', 'total freeze'],
      [fmt(st.detection), fmt(st.offer), fmt(st.post), fmt(st.ice), fmt(st.dtls), fmt(st.keyframeWait), fmt(st.render), fmt(st.total)],
    ],
    marks: [keys, keys.map((k) => fmt(sf[k]))],
  };
}

/** The WHEP → WHEP breakdown's closing lines: the server's side and how the first frame was seen. @param {any} row */
export function timelineNotes(row) {
  const t = row.timeline;
  const sv = t.server;
  return [
    `Server: fault → publisher's last RTP packet ${fmt(sv.faultToLastPacket)}, last packet → SSE inactive ${fmt(sv.lastPacketToInactive)}, inactive → player's decision ${fmt(sv.inactiveToDetected)}, last packet → last frame on screen ${fmt(sv.lastPacketToLastFrame)}.`,
    `First decoded frame seen first by: getStats ${t.decodedBy.getStats}, rVFC ${t.decodedBy.rVFC}; getStats poll gap ${fmt(t.pollGapMs)}; fallback probes (POST+DELETE) after the fault ${fmt(t.probesAfterFault)}.`,
  ];
}

/** The WHEP → WHEP breakdown of one scenario's row. @param {any} row */
export function formatTimeline(row) {
  const { steps, marks } = timelineTables(row);
  const out = [];
  out.push(
    `${row.scenario}: where the time goes (median (min–max) over ${row.timeline.n} runs, ms; each step's median on its own, so they need not add up to the total):`,
  );
  out.push(render(steps));
  out.push(
    "detection: primary's last frame on screen → the fallback's engine started (failover switchStartedAt); offer+gather: → POST sent;",
  );
  out.push('POST: → 201; ICE: 201 → iceConnectionState connected; DTLS: → connectionState connected; keyframe wait: → first decoded');
  out.push(
    "frame (getStats every 20 ms, or the hidden video's first rVFC frame); render: → first frame on screen; total: last → first frame on screen.",
  );
  out.push('', 'Marks since the fault (median (min–max), ms):');
  out.push(render(marks));
  out.push(...timelineNotes(row));
  return out.join('\n');
}
