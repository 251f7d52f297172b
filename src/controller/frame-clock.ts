/**
 * When did each video last present a frame to the viewer? Measured with
 * requestVideoFrameCallback (where the browser has it), for the `failover` event's freeze.
 * Policy: one callback loop per video, for the element's lifetime; cheap (one callback per
 * presented frame).
 */
type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?(callback: (now: number) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
};

export class FrameClock {
  private readonly last = new WeakMap<HTMLVideoElement, number>();
  private readonly waiters = new Map<HTMLVideoElement, ((at: number) => void)[]>();
  private readonly handles = new Map<FrameCallbackVideo, number>();

  track(video: HTMLVideoElement): void {
    const tracked = video as FrameCallbackVideo;
    if (!tracked.requestVideoFrameCallback || this.handles.has(tracked)) return;
    const onFrame = (now: number) => {
      this.last.set(video, now);
      const waiting = this.waiters.get(video);
      if (waiting) {
        this.waiters.delete(video);
        for (const resolve of waiting) resolve(now);
      }
      this.handles.set(tracked, tracked.requestVideoFrameCallback!(onFrame));
    };
    this.handles.set(tracked, tracked.requestVideoFrameCallback(onFrame));
  }

  lastPresentedAt(video: HTMLVideoElement): number | undefined {
    return this.last.get(video);
  }

  /** The next frame this video presents (or `fallbackMs` from now, whichever comes first). */
  nextFrame(video: HTMLVideoElement, fallbackMs = 1000): Promise<number> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(performance.now()), fallbackMs);
      const list = this.waiters.get(video) ?? [];
      list.push((at) => {
        clearTimeout(timer);
        resolve(at);
      });
      this.waiters.set(video, list);
    });
  }

  stop(): void {
    for (const [video, handle] of this.handles) video.cancelVideoFrameCallback?.(handle);
    this.handles.clear();
    this.waiters.clear();
  }
}
