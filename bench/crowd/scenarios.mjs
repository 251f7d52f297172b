// The crowd scenarios and their goals (issue: no 1 s window carries more than 5 % of the
// players' return requests; an idle player in prelive costs at most one request per 10 s
// on average; Retry-After is honoured). Times in ms; every player joins while the stream is
// live, except in `waiting-for-start`.

const SECOND = 1000;

export const SCENARIOS = [
  {
    name: 'outage-3min',
    description: 'primary origin answers 404 for 3 minutes, then recovers; no fallback',
    joinSpreadMs: 30 * SECOND,
    downFromMs: 60 * SECOND,
    upAgainAtMs: 240 * SECOND,
    down: { status: 404 },
    fallbackDown: false,
    endMs: 300 * SECOND,
  },
  {
    name: 'outage-503-retry-after',
    description: 'primary origin answers 503 with Retry-After: 20 for 2 minutes; the fallback (another origin) is down too',
    joinSpreadMs: 30 * SECOND,
    downFromMs: 60 * SECOND,
    upAgainAtMs: 180 * SECOND,
    down: { status: 503, retryAfterMs: 20 * SECOND },
    fallbackDown: true,
    endMs: 240 * SECOND,
  },
  {
    name: 'waiting-for-start',
    description: 'viewers open the page over 5 minutes before the stream starts at 10 minutes; primary and fallback both 404 until then',
    joinSpreadMs: 300 * SECOND,
    downFromMs: 0,
    upAgainAtMs: 600 * SECOND,
    down: { status: 404 },
    fallbackDown: true,
    endMs: 660 * SECOND,
  },
];

/** Outage lengths for the sweep (`--sweep`): how the return spreads when the outage is short. */
export const SWEEP_OUTAGES_S = [10, 20, 30, 45, 60, 90, 180, 600];

export const GOALS = {
  /** Largest share of the return requests in any 1 s window. */
  peakReturnShare: 0.05,
  /** Requests per 10 s (both origins) of an idle player: prelive after its first minute. */
  idleRequestsPer10s: 1,
};

export function sweepScenario(outageS) {
  return {
    name: `sweep-${outageS}s`,
    description: `primary origin 404 for ${outageS} s; no fallback`,
    joinSpreadMs: 30 * SECOND,
    downFromMs: 60 * SECOND,
    upAgainAtMs: (60 + outageS) * SECOND,
    down: { status: 404 },
    fallbackDown: false,
    endMs: (60 + outageS + 60) * SECOND,
  };
}
