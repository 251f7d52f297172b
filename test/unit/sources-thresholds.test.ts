// resolveThresholds (user overrides merged over the defaults) and limitsFor (per-stream limits).
import { expect } from '@open-wc/testing';
import { DEFAULT_THRESHOLDS, limitsFor, resolveThresholds, type HealthThresholds } from '../../src/policy/thresholds.js';

describe('resolveThresholds', () => {
  it('returns the defaults for null, undefined and {}', () => {
    for (const overrides of [null, undefined, {}]) {
      expect(resolveThresholds(overrides)).to.deep.equal({ ...DEFAULT_THRESHOLDS });
    }
  });

  it('returns a fresh object that does not alias the frozen defaults', () => {
    const resolved = resolveThresholds();
    expect(resolved).to.not.equal(DEFAULT_THRESHOLDS);
    resolved.minStallMs = 1;
    expect(DEFAULT_THRESHOLDS.minStallMs).to.equal(1500);
    expect(Object.isFrozen(DEFAULT_THRESHOLDS)).to.equal(true);
  });

  it('takes valid numbers', () => {
    const resolved = resolveThresholds({ startupTimeoutMs: 4000, frozenPlaylistTargetDurations: 2.5, retryCapMs: 30000 });
    expect(resolved.startupTimeoutMs).to.equal(4000);
    expect(resolved.frozenPlaylistTargetDurations).to.equal(2.5);
    expect(resolved.retryCapMs).to.equal(30000);
    expect(resolved.minStallMs).to.equal(DEFAULT_THRESHOLDS.minStallMs);
  });

  it('takes 0 retries and a 0 retry delay (meaningful choices)', () => {
    const resolved = resolveThresholds({ requestRetries: 0, retryDelayMs: 0 });
    expect(resolved.requestRetries).to.equal(0);
    expect(resolved.retryDelayMs).to.equal(0);
  });

  it('ignores negatives, NaN, infinities, strings, null and other non-numbers', () => {
    const junk = {
      startupTimeoutMs: -1,
      minStallMs: NaN,
      retryCapMs: Infinity,
      retryBaseMs: -Infinity,
      stallTargetDurations: '3',
      requestRetries: null,
      retryDelayMs: true,
      assumedTargetDurationMs: {},
      preferPrimaryAfterMs: [5],
    } as unknown as Partial<HealthThresholds>;
    expect(resolveThresholds(junk)).to.deep.equal({ ...DEFAULT_THRESHOLDS });
  });

  it('ignores unknown keys', () => {
    const resolved = resolveThresholds({ bogus: 5 } as unknown as Partial<HealthThresholds>);
    expect(resolved).to.deep.equal({ ...DEFAULT_THRESHOLDS });
    expect(resolved).to.not.have.property('bogus');
  });

  // 0 ms retry base/cap would turn prelive probing and the playlist watcher into a
  // zero-delay request loop; 0 assumed/frozen/startup values would fail every source at once.
  it('ignores 0 where 0 is not a usable value', () => {
    const resolved = resolveThresholds({
      retryBaseMs: 0,
      retryCapMs: 0,
      assumedTargetDurationMs: 0,
      frozenPlaylistTargetDurations: 0,
      startupTimeoutMs: 0,
    });
    expect(resolved.retryBaseMs, 'retryBaseMs').to.equal(DEFAULT_THRESHOLDS.retryBaseMs);
    expect(resolved.retryCapMs, 'retryCapMs').to.equal(DEFAULT_THRESHOLDS.retryCapMs);
    expect(resolved.assumedTargetDurationMs, 'assumedTargetDurationMs').to.equal(DEFAULT_THRESHOLDS.assumedTargetDurationMs);
    expect(resolved.frozenPlaylistTargetDurations, 'frozenPlaylistTargetDurations').to.equal(
      DEFAULT_THRESHOLDS.frozenPlaylistTargetDurations,
    );
    expect(resolved.startupTimeoutMs, 'startupTimeoutMs').to.equal(DEFAULT_THRESHOLDS.startupTimeoutMs);
  });
});

describe('limitsFor', () => {
  const defaults = resolveThresholds();

  it('scales every playlist limit with the target duration', () => {
    expect(limitsFor(defaults, 6000)).to.deep.equal({
      targetDurationMs: 6000,
      frozenPlaylistMs: 18000,
      stallMs: 12000,
      requestTimeoutMs: 12000,
      startupTimeoutMs: 10000,
    });
    expect(limitsFor(defaults, 2000)).to.deep.equal({
      targetDurationMs: 2000,
      frozenPlaylistMs: 6000,
      stallMs: 4000,
      requestTimeoutMs: 4000,
      startupTimeoutMs: 10000,
    });
  });

  it('assumes the configured target duration when none is known (undefined, 0, negative, NaN)', () => {
    const expected = limitsFor(defaults, 6000);
    expect(limitsFor(defaults, undefined)).to.deep.equal(expected);
    expect(limitsFor(defaults, 0)).to.deep.equal(expected);
    expect(limitsFor(defaults, -2000)).to.deep.equal(expected);
    expect(limitsFor(defaults, NaN)).to.deep.equal(expected);
    expect(limitsFor(resolveThresholds({ assumedTargetDurationMs: 4000 }), undefined).targetDurationMs).to.equal(4000);
  });

  it('keeps the stall floor (minStallMs) and the 1 s request floor for tiny target durations', () => {
    const limits = limitsFor(defaults, 200);
    expect(limits.stallMs).to.equal(1500);
    expect(limits.requestTimeoutMs).to.equal(1000);
    // The frozen-playlist limit has no floor: 3 × 200 ms.
    expect(limits.frozenPlaylistMs).to.equal(600);
  });

  it('leaves the floors once the scaled value is larger', () => {
    const limits = limitsFor(defaults, 1000);
    expect(limits.stallMs).to.equal(2000);
    expect(limits.requestTimeoutMs).to.equal(2000);
    // Exactly at the floor.
    expect(limitsFor(defaults, 500).requestTimeoutMs).to.equal(1000);
    expect(limitsFor(defaults, 750).stallMs).to.equal(1500);
  });

  it('follows the configured multipliers and floors', () => {
    const custom = resolveThresholds({
      frozenPlaylistTargetDurations: 5,
      stallTargetDurations: 1,
      minStallMs: 500,
      requestTimeoutTargetDurations: 3,
      startupTimeoutMs: 2500,
    });
    expect(limitsFor(custom, 1000)).to.deep.equal({
      targetDurationMs: 1000,
      frozenPlaylistMs: 5000,
      stallMs: 1000,
      requestTimeoutMs: 3000,
      startupTimeoutMs: 2500,
    });
    expect(limitsFor(custom, 200).stallMs).to.equal(500);
  });
});
