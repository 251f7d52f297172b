// backoffDelay: jitter over 40–100 % of a capped exponential window; Retry-After as a floor, spread.
import { expect } from '@open-wc/testing';
import { backoffDelay, type BackoffPolicy } from '../../src/policy/backoff.js';

/** Deterministic PRNG (mulberry32) so the spread check cannot flake. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const policy = (random: () => number): BackoffPolicy => ({ baseMs: 1000, capMs: 10000, random });

describe('backoffDelay', () => {
  it('doubles the window per attempt, from base up to the cap', () => {
    const top = policy(() => 1 - Number.EPSILON);
    const low = policy(() => 0);
    const windows = [1000, 2000, 4000, 8000, 10000, 10000, 10000];
    windows.forEach((w, attempt) => {
      expect(backoffDelay(attempt, low), `attempt ${attempt} lower bound`).to.equal(w * 0.4);
      const hi = backoffDelay(attempt, top);
      expect(hi, `attempt ${attempt} upper bound`).to.be.below(w);
      expect(hi).to.be.at.least(w - 1);
    });
  });

  it('never exceeds the cap, even for huge attempt numbers', () => {
    const p = policy(seeded(1));
    for (const attempt of [10, 50, 1023, 1024, 1e6, Number.MAX_SAFE_INTEGER]) {
      const d = backoffDelay(attempt, p);
      expect(d).to.be.at.least(4000).and.below(10000);
    }
  });

  it('keeps jitter within [0.4, 1.0) of the window', () => {
    const random = seeded(42);
    for (let i = 0; i < 2000; i += 1) {
      const attempt = i % 6;
      const w = Math.min(10000, 1000 * 2 ** attempt);
      const d = backoffDelay(attempt, policy(random));
      expect(d)
        .to.be.at.least(w * 0.4)
        .and.below(w);
      expect(Number.isInteger(d)).to.equal(true);
    }
  });

  it('tolerates a random source outside [0, 1) and odd attempts', () => {
    expect(
      backoffDelay(
        0,
        policy(() => 1),
      ),
    )
      .to.be.below(1000)
      .and.at.least(400);
    expect(
      backoffDelay(
        0,
        policy(() => -3),
      ),
    ).to.equal(400);
    expect(
      backoffDelay(
        0,
        policy(() => Number.NaN),
      ),
    ).to.equal(400);
    expect(
      backoffDelay(
        -1,
        policy(() => 0),
      ),
    ).to.equal(400);
    expect(
      backoffDelay(
        Number.NaN,
        policy(() => 0),
      ),
    ).to.equal(400);
  });

  it('uses the Retry-After as a floor, and only as a floor', () => {
    const p = policy(() => 0);
    expect(backoffDelay(0, p, 5000)).to.equal(5000);
    expect(backoffDelay(0, p, 30000), 'beyond the cap: the server knows best').to.equal(30000);
    expect(backoffDelay(3, p, 100), 'a short Retry-After does not speed retries up').to.equal(3200);
    expect(backoffDelay(0, p, 0)).to.equal(400);
    expect(backoffDelay(0, p, undefined)).to.equal(400);
    expect(backoffDelay(0, p, 1234.2)).to.equal(1235);
  });

  it('spreads a Retry-After over up to as much again, at most the cap', () => {
    const random = seeded(7);
    const delays: number[] = [];
    for (let i = 0; i < 2000; i += 1) delays.push(backoffDelay(0, policy(random), 6000));
    expect(Math.min(...delays), 'never before the Retry-After').to.be.at.least(6000);
    expect(Math.max(...delays))
      .to.be.below(12000)
      .and.above(11500);
    const inFirstSecond = delays.filter((d) => d < 7000).length;
    expect(inFirstSecond, 'a crowd told "6 s" does not come back in one second').to.be.below(2000 * 0.25);
    // Beyond the cap, the spread is the cap (10 s here), not the whole Retry-After.
    expect(
      backoffDelay(
        0,
        policy(() => 1 - Number.EPSILON),
        60000,
      ),
    )
      .to.be.at.least(69999)
      .and.below(70000);
  });

  it('spreads 1000 players at the capped attempt: no 1 s window holds over 25% of them', () => {
    const random = seeded(2024);
    const buckets = new Map<number, number>();
    for (let player = 0; player < 1000; player += 1) {
      const d = backoffDelay(8, policy(random));
      const bucket = Math.floor(d / 1000);
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    }
    const largest = Math.max(...buckets.values());
    expect(buckets.size).to.equal(6);
    expect(largest, JSON.stringify([...buckets])).to.be.at.most(250);
  });

  it('spreads with the platform Math.random too', () => {
    const counts = new Map<number, number>();
    for (let player = 0; player < 1000; player += 1) {
      const bucket = Math.floor(backoffDelay(8, policy(Math.random)) / 1000);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    expect(Math.max(...counts.values())).to.be.at.most(250);
  });
});
