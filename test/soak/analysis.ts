/**
 * The soak's picture rule, applied after the run to what was recorded (pure: no DOM, no
 * servers). The rule itself is stated at the top of soak.test.ts; this is its implementation.
 * When each stream was live, and which faults were due, come from the fault timeline
 * (test/support/timeline.ts), the model the flapping tests use too.
 */
import type { FaultTimeline } from '../support/timeline.js';

export type StreamId = 'hls:primary' | 'hls:fallback' | 'whep:primary' | 'whep:fallback';

export interface PlayerSample {
  state: string;
  /** 'red' | 'blue' | 'poster' | … from the pixels; red and blue are a picture. */
  seen: string;
  /** Position and decoded-frame count of the video on screen, if one is. */
  frame?: string;
}

export interface Sample {
  t: number;
  players: Record<string, PlayerSample | undefined>;
}

export interface PlayerSpec {
  id: string;
  primary: StreamId;
  fallback: StreamId;
}

/** Time ranges in which the picture rule does not apply to a player (not mounted, stopped on purpose). */
export interface Excluded {
  from: number;
  to: number;
}

export interface Violation {
  invariant: string;
  player?: string;
  at: number;
  /** Where the episode began (for a picture violation: the start of the run without picture). */
  from?: number;
  detail: string;
}

export interface GapFigures {
  /** Longest run of samples without a picture, whatever the sources did. */
  longestNoPictureMs: number;
  /** Longest time without a picture counted against the 5 s limit (see the rule). */
  longestOwedMs: number;
  /** Longest wait, in prelive, from a source's recovery to the player's first request to it. */
  longestPreliveWaitMs: number;
  /** Longest run of samples with a picture whose video did not advance (a frozen last frame). */
  longestFrozenPictureMs: number;
  /** When that run began (relative time, as in the reports). */
  longestFrozenPictureFrom?: string;
}

export const isPicture = (seen: string) => seen === 'red' || seen === 'blue';

const NO_PICTURE_LIMIT_MS = 5000;

/**
 * Applies the picture rule to one player. `requests(stream, from)` is the time of the player's
 * first request to that stream at or after `from` (from the servers' logs), or null.
 */
export function checkPicture(options: {
  player: PlayerSpec;
  samples: Sample[];
  faults: FaultTimeline<StreamId>;
  excluded: Excluded[];
  requests: (stream: StreamId, from: number) => number | null;
  backoffCapMs: number;
  end: number;
}): { violations: Violation[]; figures: GapFigures } {
  const { player, samples, faults, excluded, requests, backoffCapMs, end } = options;
  const violations: Violation[] = [];
  const figures: GapFigures = { longestNoPictureMs: 0, longestOwedMs: 0, longestPreliveWaitMs: 0, longestFrozenPictureMs: 0 };
  let frozenSince: { t: number; frame: string } | null = null;
  const other = (s: StreamId) => (s === player.primary ? player.fallback : player.primary);
  const exclusionAt = (t: number) => excluded.find((e) => t >= e.from && t < e.to);

  let gapStart: number | null = null;
  let resumeAt: number | null = null; // end of the exclusion just left: a gap that follows starts there
  let reported = false; // one violation per gap and kind
  let reportedWait = false;
  for (const sample of samples) {
    const seen = sample.players[player.id];
    const exclusion = exclusionAt(sample.t);
    if (!seen || exclusion) {
      frozenSince = null;
      gapStart = null;
      resumeAt = exclusion ? exclusion.to : null;
      reported = false;
      reportedWait = false;
      continue;
    }
    if (isPicture(seen.seen) && seen.frame) {
      if (frozenSince && frozenSince.frame === seen.frame) {
        if (sample.t - frozenSince.t > figures.longestFrozenPictureMs) {
          figures.longestFrozenPictureMs = sample.t - frozenSince.t;
          figures.longestFrozenPictureFrom = `${fmt(frozenSince.t)} (${seen.state}, ${seen.seen})`;
        }
      } else {
        frozenSince = { t: sample.t, frame: seen.frame };
      }
    } else {
      frozenSince = null;
    }
    if (isPicture(seen.seen)) {
      gapStart = null;
      resumeAt = null;
      reported = false;
      reportedWait = false;
      continue;
    }
    gapStart ??= resumeAt ?? sample.t;
    const t = sample.t;
    figures.longestNoPictureMs = Math.max(figures.longestNoPictureMs, t - gapStart);

    // When does the 5 s clock start for each source live now?
    let owedFrom = Infinity;
    const why: string[] = [];
    for (const stream of [player.primary, player.fallback]) {
      const span = faults.liveAt(stream, t, end);
      if (!span) continue;
      let clock: number;
      if (span.from <= gapStart) {
        clock = gapStart; // live when the picture went: the limit applies directly
      } else {
        // Recovered during the gap (prelive): from the player's first request to it.
        const first = requests(stream, span.from);
        const waitLimit = backoffCapMs + NO_PICTURE_LIMIT_MS + faults.dueWithin(other(stream), span.from, t, end);
        if (first === null || first > t) {
          figures.longestPreliveWaitMs = Math.max(figures.longestPreliveWaitMs, t - span.from);
          if (t - span.from > waitLimit && !reportedWait) {
            reportedWait = true;
            violations.push({
              invariant: 'prelive wait ≤ backoff cap + 5 s',
              player: player.id,
              at: t,
              from: gapStart,
              detail: `${stream} live again since ${fmt(span.from)}, no request from the player for ${t - span.from} ms (limit ${waitLimit} ms); state ${seen.state}, seen ${seen.seen}`,
            });
          }
          continue;
        }
        figures.longestPreliveWaitMs = Math.max(figures.longestPreliveWaitMs, first - span.from);
        clock = first;
      }
      // The primary is preferred in prelive: a fallback's verdict may wait for the primary's.
      if (stream === player.fallback) clock += faults.dueWithin(player.primary, clock, t, end);
      if (clock < owedFrom) owedFrom = clock;
      why.push(`${stream} live since ${fmt(span.from)}, clock from ${fmt(clock)}`);
    }
    if (owedFrom === Infinity) continue;
    const owed = t - owedFrom;
    figures.longestOwedMs = Math.max(figures.longestOwedMs, owed);
    if (owed > NO_PICTURE_LIMIT_MS && !reported) {
      reported = true;
      violations.push({
        invariant: 'no picture for > 5 s while a source is live',
        player: player.id,
        at: t,
        from: gapStart,
        detail: `no picture since ${fmt(gapStart)} (${t - gapStart} ms; ${owed} ms owed): ${why.join('; ')}; state ${seen.state}, seen ${seen.seen}`,
      });
    }
  }
  return { violations, figures };
}

let epoch = 0;
/** Times in reports are relative to the soak's start. */
export function setEpoch(t: number) {
  epoch = t;
}
export function fmt(t: number): string {
  return `+${((t - epoch) / 1000).toFixed(1)} s`;
}
