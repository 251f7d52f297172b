/**
 * The fault timeline of the tests that break streams on purpose (the soak, the flapping
 * tests): every change of a stream's fault as the test made it, timed around the control
 * call, and what follows from it: when each stream was surely live, when it was surely down
 * (an outage), and which faults may have been in force in a period. Pure: no DOM, no servers;
 * the test applies the fault, this records and answers.
 *
 * A change counts from `startedAt` (before the control call) for what it may already do, and
 * from `appliedAt` (after it returned) for what it surely does: a stream is surely in a
 * change's state from its `appliedAt` until the next change's `startedAt`.
 */

export interface FaultChange<S extends string = string> {
  stream: S;
  /** 'none', a fault kind, or a sequence of them (e.g. 'cut+post-404'). */
  kind: string;
  /** The stream serves viewers normally under this change ('none', or a fault that keeps up). */
  live: boolean;
  /** Date.now() before the control call … */
  startedAt: number;
  /** … and after it. */
  appliedAt: number;
  /**
   * How long this fault, on a player's primary, may hold back the player's verdict on its
   * fallback (a probe that runs to its deadline), in ms; 0 for faults that are seen at once.
   */
  dueMs: number;
}

/** A period in which a stream was surely in one change's state. */
export interface Span<S extends string = string> {
  change: FaultChange<S>;
  from: number;
  /** The next change's startedAt, or the end given (Infinity: it lasts). */
  to: number;
}

export class FaultTimeline<S extends string = string> {
  /** Every change, in the order the test made them (all streams). */
  readonly changes: FaultChange<S>[] = [];

  /** Records a change made elsewhere (a starting state, say). */
  record(change: FaultChange<S>): FaultChange<S> {
    this.changes.push(change);
    return change;
  }

  /** Makes a change by `apply` (the control call), timed around it. */
  async change(
    stream: S,
    kind: string,
    apply: () => Promise<unknown>,
    { live = kind === 'none', dueMs = 0 } = {},
  ): Promise<FaultChange<S>> {
    const startedAt = Date.now();
    await apply();
    return this.record({ stream, kind, live, startedAt, appliedAt: Date.now(), dueMs });
  }

  /** The stream's latest change, if any. */
  current(stream: S): FaultChange<S> | undefined {
    return this.changes.filter((c) => c.stream === stream).at(-1);
  }

  /** The stream's changes in time order. */
  of(stream: S): FaultChange<S>[] {
    return this.changes.filter((c) => c.stream === stream).sort((a, b) => a.startedAt - b.startedAt);
  }

  /** When the stream was surely in each change's state, in time order; the last one lasts until `end`. */
  spans(stream: S, end = Infinity): Span<S>[] {
    const mine = this.of(stream);
    return mine.map((change, i) => ({ change, from: change.appliedAt, to: mine[i + 1]?.startedAt ?? end }));
  }

  /** When the stream was surely live. */
  liveSpans(stream: S, end = Infinity): Span<S>[] {
    return this.spans(stream, end).filter((s) => s.change.live);
  }

  /** When the stream was surely down (each fault change its own outage). */
  outages(stream: S, end = Infinity): Span<S>[] {
    return this.spans(stream, end).filter((s) => !s.change.live);
  }

  /** The live span holding `t`, if the stream was surely live then. */
  liveAt(stream: S, t: number, end = Infinity): Span<S> | undefined {
    return this.liveSpans(stream, end).find((s) => t >= s.from && t < s.to);
  }

  /**
   * The outage holding `t`, if the stream was surely down then; one that began less than
   * `latencyMs` before `t` does not count yet (a player cannot have seen it).
   */
  downAt(stream: S, t: number, latencyMs = 0): Span<S> | undefined {
    return this.outages(stream).find((o) => t > o.from + latencyMs && t < o.to);
  }

  /** The last outage that began at least `latencyMs` before `t`, if any (over or not). */
  lastOutage(stream: S, t: number, latencyMs = 0): Span<S> | undefined {
    return this.outages(stream)
      .filter((o) => o.from <= t - latencyMs)
      .at(-1);
  }

  /**
   * The longest due of the stream's changes that may have been in force at some time within
   * [from, to]: from a change's startedAt to the next one's appliedAt (or `end`).
   */
  dueWithin(stream: S, from: number, to: number, end: number): number {
    const mine = this.of(stream);
    let due = 0;
    mine.forEach((change, i) => {
      const until = mine[i + 1]?.appliedAt ?? end;
      if (change.startedAt <= to && until >= from) due = Math.max(due, change.dueMs);
    });
    return due;
  }
}
