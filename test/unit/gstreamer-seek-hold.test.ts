// WebKitGTK's held start-up seek: where it lands once released (gstreamer-seek-hold.ts).
import { expect } from '@open-wc/testing';
import { caughtUp } from '../../src/sources/gstreamer-seek-hold.js';

/** TimeRanges from [start, end] pairs. */
const ranges = (...pairs: [number, number][]): TimeRanges => ({
  length: pairs.length,
  start: (i: number) => pairs[i][0],
  end: (i: number) => pairs[i][1],
});

describe('caughtUp (a held live start seek)', () => {
  it('moves the target on by the time it was held, so the playhead keeps its distance to the live edge', () => {
    expect(caughtUp(4, 1500, ranges([3, 9]))).to.equal(5.5);
  });

  it('stops a quarter second short of the end of the buffered range holding the target', () => {
    expect(caughtUp(4, 3000, ranges([3, 5], [6, 9]))).to.equal(4.75);
  });

  it('never goes back, even with the target at the very end of its range', () => {
    expect(caughtUp(4.9, 1500, ranges([3, 5]))).to.equal(4.9);
  });

  it('keeps a target outside what is buffered as it is', () => {
    expect(caughtUp(10, 1500, ranges([3, 9]))).to.equal(10);
    expect(caughtUp(4, 1500, ranges())).to.equal(4);
  });
});
