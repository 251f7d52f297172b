/**
 * Time-based judgements of a source (a playlist that stops advancing, playback that stops, no
 * new video frame) assume a page whose timers run and whose video is decoded. A hidden page
 * may be throttled (timers late by seconds; once a minute after five minutes hidden) or its
 * video left undecoded: what a source did meanwhile cannot be told from the page's clocks.
 * Policy: a check that runs more than four intervals late, or the first check after the page
 * is shown again, judges nothing: the watchdog starts its clocks over from now, so a hidden
 * page's health is judged from what happens after it wakes up. Failures that are reported
 * rather than timed (an HTTP error, a server's event) are unaffected.
 */
const LATE_FACTOR = 4;

export interface JudgingClock {
  /** True when this check may judge; false when the watchdog must start its clocks over from now. */
  fresh(now?: number): boolean;
  stop(): void;
}

export function judgingClock(intervalMs: number): JudgingClock {
  let lastCheck = performance.now();
  let shownAgain = false;
  const onVisibility = () => {
    if (document.visibilityState === 'visible') shownAgain = true;
  };
  document.addEventListener('visibilitychange', onVisibility);
  return {
    fresh(now = performance.now()) {
      const late = now - lastCheck > LATE_FACTOR * intervalMs;
      lastCheck = now;
      const judge = !late && !shownAgain;
      shownAgain = false;
      return judge;
    },
    stop() {
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
