/**
 * Some browsers pause a video in a hidden page (WebKit, when its window is minimised) and do
 * not resume it when the page is shown again: for a live stream the viewer did not pause, that
 * is a dead picture. Policy: a pause that happens while the page is hidden is the browser's;
 * when the page is shown again, the video on screen plays again unless the viewer (or the
 * page) paused it while it was visible.
 */
import { autoplay } from './sources/autoplay.js';

/** Watches the videos under `root` (capture: media events do not bubble); returns the stop function. */
export function resumeWhenShown(root: Node, videoOnScreen: () => HTMLVideoElement | null, onMuted: () => void): () => void {
  const pausedByViewer = new WeakSet<EventTarget>();
  const onPause = (event: Event) => {
    if (document.visibilityState === 'visible' && event.target) pausedByViewer.add(event.target);
  };
  const onPlay = (event: Event) => {
    if (event.target) pausedByViewer.delete(event.target);
  };
  const onVisibility = () => {
    const video = videoOnScreen();
    if (document.visibilityState !== 'visible' || !video?.paused || pausedByViewer.has(video)) return;
    void autoplay(video, onMuted, () => videoOnScreen() === video);
  };
  root.addEventListener('pause', onPause, true);
  root.addEventListener('play', onPlay, true);
  document.addEventListener('visibilitychange', onVisibility);
  return () => {
    root.removeEventListener('pause', onPause, true);
    root.removeEventListener('play', onPlay, true);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}
