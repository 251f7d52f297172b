/**
 * Starts playback by itself, as a live player should. Where the browser refuses sound
 * without a gesture, it retries once muted and says so, so the element can offer "Unmute"
 * instead of a dead play button.
 */
export async function autoplay(video: HTMLVideoElement, onMuted: () => void, isCurrent: () => boolean): Promise<void> {
  try {
    await video.play();
  } catch (error) {
    if (!isCurrent()) return;
    if ((error as DOMException)?.name !== 'NotAllowedError' || video.muted) return;
    video.muted = true;
    onMuted();
    await video.play().catch(() => {
      // Still refused (e.g. no autoplay at all): the stall watchdog reports it.
    });
  }
}
