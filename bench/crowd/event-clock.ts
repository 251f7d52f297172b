/**
 * A discrete-event clock for XState actors: timers live in a binary heap keyed by due time
 * (ties in the order they were set), and `runUntil` jumps from one due time to the next.
 * Between two due times it lets promise reactions run, because the machine's probe actors
 * are promise actors whose results arrive as microtasks. Thousands of actors can share one
 * clock, so a simulated hour of a crowd costs seconds of CPU, not an hour.
 */
import type { ActorOptions, AnyActorLogic } from 'xstate';

/** XState's clock interface (not exported by name). */
type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class EventClock implements Clock {
  private heap: Timer[] = [];
  private byId = new Map<number, Timer>();
  private seq = 0;
  private current = 0;

  now(): number {
    return this.current;
  }

  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const timer: Timer = { due: this.current + Math.max(0, timeout || 0), seq: this.seq++, fn, cancelled: false };
    this.byId.set(timer.seq, timer);
    this.push(timer);
    return timer.seq;
  }

  clearTimeout(id: unknown): void {
    const timer = this.byId.get(id as number);
    if (!timer) return;
    timer.cancelled = true;
    this.byId.delete(timer.seq);
  }

  /** Runs every timer due up to `end` (inclusive), in order, settling promises in between. */
  async runUntil(end: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      const next = this.peek();
      if (!next || next.due > end) break;
      this.current = next.due;
      // Everything due now, then the promise reactions it caused (which may set timers due now).
      while (this.peek()?.due === this.current) {
        const timer = this.pop()!;
        this.byId.delete(timer.seq);
        timer.fn();
      }
      await settle();
    }
    this.current = Math.max(this.current, end);
  }

  private peek(): Timer | undefined {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    return this.heap[0];
  }

  private static before(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!EventClock.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && EventClock.before(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && EventClock.before(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}
