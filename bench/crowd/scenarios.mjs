// The crowd scenarios and their goals (issue: no 1 s window carries more than 5 % of the
// players' return requests; an idle player in prelive costs at most one request per 10 s
// on average; Retry-After is honoured; when a WebRTC server dies, no more than 40 % of the
// crowd lands on the next endpoint's HLS CDN in any one second). Times in ms; every player
// joins while the stream is live, except in `waiting-for-start`.

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
    description:
      'viewers open the page over 5 minutes before the stream starts at 10 minutes; primary and fallback both 404 until then',
    joinSpreadMs: 300 * SECOND,
    downFromMs: 0,
    upAgainAtMs: 600 * SECOND,
    down: { status: 404 },
    fallbackDown: true,
    endMs: 660 * SECOND,
  },
  {
    // Source ladders: the crowd spread after a WebRTC endpoint's own failure
    // (failoverSpreadMs). Every viewer loses its frames at the same instant; without the
    // spread all of them would start the HLS endpoint within the same 100 ms.
    name: 'webrtc-server-dies',
    description:
      "viewers watch the primary on its WebRTC endpoint; at 60 s the WebRTC server dies for good (every session's frames stop at once); next in the primary's ladder: HLS of the same stream on a CDN; no fallback",
    joinSpreadMs: 30 * SECOND,
    downFromMs: 60 * SECOND,
    // Not within the run. What the dead server would answer hardly matters: without
    // prefer-primary nothing asks it again once the players are on the CDN.
    upAgainAtMs: 90 * SECOND,
    down: { status: 503 },
    fallbackDown: false,
    endpoints: {
      primary: [
        { kind: 'whep', server: 'webrtc', down: 'outage' },
        { kind: 'hls', server: 'cdn', down: 'never' },
      ],
      fallback: [],
    },
    // The figures are about the players' first requests to this server once the WebRTC
    // server is dead ("landings"), and where they end up.
    landing: { server: 'cdn', endsOn: 'primary primary/1' },
    // Printed next to it (not a goal): the same crowd without the spread.
    compare: { label: 'failoverSpreadMs 0', timing: { failoverSpreadMs: 0 } },
    endMs: 90 * SECOND,
  },
];

/** Outage lengths for the sweep (`--sweep`): how the return spreads when the outage is short. */
export const SWEEP_OUTAGES_S = [10, 20, 30, 45, 60, 90, 180, 600];

export const GOALS = {
  /** webrtc-server-dies: largest share of the crowd whose first request to the HLS CDN falls in one second. */
  peakLandingShare: 0.4,
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
