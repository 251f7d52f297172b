// The judging clock: a check that runs late (a throttled page) or right after the page is shown
// again judges nothing, so a hidden page's health is judged from when it wakes up.
import { expect } from '@open-wc/testing';
import { judgingClock } from '../../src/sources/judging-clock.js';

describe('judgingClock', () => {
  it('judges checks that come on time', () => {
    const clock = judgingClock(250);
    const t0 = performance.now();
    expect(clock.fresh(t0 + 250)).to.equal(true);
    expect(clock.fresh(t0 + 500)).to.equal(true);
    expect(clock.fresh(t0 + 1400), 'up to four intervals late still judges').to.equal(true);
    clock.stop();
  });

  it('skips a check that comes more than four intervals late (a throttled page), once', () => {
    const clock = judgingClock(250);
    const t0 = performance.now();
    expect(clock.fresh(t0 + 250)).to.equal(true);
    expect(clock.fresh(t0 + 60_250), 'a minute late: intensive throttling').to.equal(false);
    expect(clock.fresh(t0 + 60_500)).to.equal(true);
    clock.stop();
  });

  it('skips the first check after the page is shown again', () => {
    const clock = judgingClock(250);
    const t0 = performance.now();
    document.dispatchEvent(new Event('visibilitychange'));
    expect(document.visibilityState).to.equal('visible');
    expect(clock.fresh(t0 + 250)).to.equal(false);
    expect(clock.fresh(t0 + 500)).to.equal(true);
    clock.stop();
    document.dispatchEvent(new Event('visibilitychange'));
    expect(clock.fresh(t0 + 750), 'stopped: no longer listening').to.equal(true);
  });

  it('judges nothing while the page is hidden (a hidden page may not decode its video at all)', () => {
    const clock = judgingClock(250);
    const t0 = performance.now();
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    try {
      expect(clock.fresh(t0 + 250)).to.equal(false);
      expect(clock.fresh(t0 + 500)).to.equal(false);
    } finally {
      delete (document as { visibilityState?: unknown }).visibilityState;
    }
    document.dispatchEvent(new Event('visibilitychange'));
    expect(clock.fresh(t0 + 750), 'nor the first check once shown').to.equal(false);
    expect(clock.fresh(t0 + 1000)).to.equal(true);
    clock.stop();
  });
});
