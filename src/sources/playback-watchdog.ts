/**
 * Watches a <video> for its first frame and for playback that stops advancing.
 * Policy: checks four times a second; no first frame within `startupTimeoutMs`, or no new
 * decoded frame for `stallMs` while playback is wanted, is reported once as a failure.
 * Progress is counted in decoded frames, not in `currentTime`: with segments missing,
 * hls.js keeps nudging the playhead over the holes while nothing is shown.
 * A pause by the viewer is not a stall. A throttled or hidden page is judged from when it
 * wakes up (judging-clock.ts).
 */
import type { StreamLimits } from '../policy/thresholds.js';
import { judgingClock } from './judging-clock.js';

export interface PlaybackWatchdogOptions {
  video: HTMLVideoElement;
  limits: () => StreamLimits;
  onFirstFrame(): void;
  onStalled(cause: string): void;
  /** No new frame for half the stall limit: worth warming the other source. Once per stall. */
  onSuspect?(cause: string): void;
}

const CHECK_EVERY_MS = 250;

/** Changes exactly when playback makes progress a viewer can see or hear. */
function progressMark(video: HTMLVideoElement): number {
  const quality = video.getVideoPlaybackQuality?.();
  if (quality && video.videoWidth > 0) return quality.totalVideoFrames;
  // Audio only, or no playback-quality API: the playhead, while data is really there.
  return video.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA ? video.currentTime : -1;
}

export function watchPlayback({ video, limits, onFirstFrame, onStalled, onSuspect }: PlaybackWatchdogOptions): () => void {
  let startedAt = performance.now();
  const clock = judgingClock(CHECK_EVERY_MS);
  let firstFrameSeen = false;
  let lastMark = progressMark(video);
  let lastProgressAt = startedAt;
  let suspected = false;
  let finished = false;

  const markFirstFrame = () => {
    if (finished || firstFrameSeen) return;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    firstFrameSeen = true;
    lastMark = progressMark(video);
    lastProgressAt = performance.now();
    onFirstFrame();
  };

  const check = () => {
    if (finished) return;
    const now = performance.now();
    if (!clock.fresh(now)) {
      // Asleep in a hidden or throttled page: the time spent there says nothing about the source.
      startedAt = now;
      lastProgressAt = now;
      lastMark = progressMark(video);
      return;
    }
    if (!firstFrameSeen) {
      if (!video.paused && video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && progressMark(video) !== lastMark) {
        markFirstFrame();
      } else if (now - startedAt > limits().startupTimeoutMs) {
        finished = true;
        onStalled(`no picture within ${Math.round(limits().startupTimeoutMs / 100) / 10} s`);
      }
      return;
    }
    const mark = progressMark(video);
    if (video.paused || mark !== lastMark) {
      lastMark = mark;
      lastProgressAt = now;
      suspected = false;
      return;
    }
    if (!suspected && now - lastProgressAt > limits().stallMs / 2) {
      suspected = true;
      onSuspect?.('playback stalling');
    }
    if (now - lastProgressAt > limits().stallMs) {
      finished = true;
      onStalled(`playback not advancing for ${Math.round((now - lastProgressAt) / 100) / 10} s`);
    }
  };

  const onPlaying = () => {
    if (!video.paused && progressMark(video) !== lastMark) markFirstFrame();
  };
  video.addEventListener('playing', onPlaying);
  video.addEventListener('timeupdate', onPlaying);
  const timer = setInterval(check, CHECK_EVERY_MS);

  return () => {
    finished = true;
    clock.stop();
    clearInterval(timer);
    video.removeEventListener('playing', onPlaying);
    video.removeEventListener('timeupdate', onPlaying);
  };
}
