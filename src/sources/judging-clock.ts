/**
 * Time-based judgements of a source (a playlist that stops advancing, playback that stops, no
 * new video frame, no first frame yet) assume a page whose timers run and whose video is
 * decoded. A hidden page may be throttled (timers late by seconds; once a minute after a
 * minute or five hidden) and its video left undecoded (Chromium stops decoding a hidden
 * page's HLS video after about 10 s while the playhead runs on): what a source did meanwhile
 * cannot be told from the page. Policy: while the page is hidden, and for the first check after
 * it is shown again or after a check that ran more than four intervals late, nothing is
 * judged: the watchdog starts its clocks over from now, so a hidden page's health is judged
 * from what happens once it is shown again. Failures that are reported rather than timed (an
 * HTTP error, a server's event) are unaffected.
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
      if (document.visibilityState === 'hidden') return false;
      const judge = !late && !shownAgain;
      shownAgain = false;
      return judge;
    },
    stop() {
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
