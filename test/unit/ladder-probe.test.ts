// The ladder probe (src/machine/ladder.ts): endpoints asked in order, the next one at once when
// the one before is out, after a head start when it has not answered; decided by the ladder rule.
import { expect } from '@open-wc/testing';
import { probeLadder } from '../../src/machine/ladder.js';
import type { ProbeVerdict, SourceRole, StreamVerdict } from '../../src/machine/types.js';

function harness(role: SourceRole, count: number) {
  const asked: number[] = [];
  const timers: Array<{ fn: () => void; cancelled: boolean }> = [];
  let decided: StreamVerdict | null = null;
  const ladder = probeLadder(role, count, 1000, {
    ask: (position) => asked.push(position),
    schedule: (fn) => {
      const timer = { fn, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    },
    decide: (verdict) => {
      expect(decided, 'decided once').to.equal(null);
      decided = verdict;
    },
  });
  const headStart = () =>
    timers
      .filter((t) => !t.cancelled)
      .at(-1)
      ?.fn();
  return { ladder, asked, headStart, decided: () => decided };
}

const LIVE: ProbeVerdict = { status: 'live', targetDurationMs: 2000 };
const DOWN: ProbeVerdict = { status: 'not-live', cause: 'HTTP 404' };

describe('probeLadder', () => {
  it('asks only the first endpoint while it may still answer live, and a live first endpoint ends it', () => {
    const h = harness('primary', 3);
    expect(h.asked).to.deep.equal([0]);
    h.ladder.answer(0, LIVE);
    expect(h.decided()).to.deep.include({ status: 'live', index: 0 });
    expect(h.asked, 'the others spared a request').to.deep.equal([0]);
  });

  it('asks the next endpoint at once when the one before is out', () => {
    const h = harness('primary', 3);
    h.ladder.answer(0, DOWN);
    expect(h.asked).to.deep.equal([0, 1]);
    h.ladder.answer(1, LIVE);
    expect(h.decided()).to.deep.include({ status: 'live', index: 1 });
  });

  it('asks the next endpoint after the head start when the one before has not answered, and still prefers the first', () => {
    const h = harness('primary', 2);
    h.headStart();
    expect(h.asked).to.deep.equal([0, 1]);
    h.ladder.answer(1, LIVE);
    expect(h.decided(), 'the first may still answer live').to.equal(null);
    h.ladder.answer(0, LIVE);
    expect(h.decided()).to.deep.include({ status: 'live', index: 0 });
  });

  it('is not live when every endpoint is out: causes joined, the largest Retry-After, network only if no server answered', () => {
    const h = harness('fallback', 2);
    h.ladder.answer(0, { status: 'not-live', cause: 'WHEP POST: unreachable', network: true });
    h.ladder.answer(1, { status: 'not-live', cause: 'playlist HTTP 503', retryAfterMs: 4000 });
    expect(h.decided()).to.deep.equal({
      status: 'not-live',
      cause: 'WHEP POST: unreachable; playlist HTTP 503',
      index: 0,
      retryAfterMs: 4000,
    });
  });

  it('a stop of any primary endpoint is a stop; a fallback endpoint that stopped is only not live', () => {
    const p = harness('primary', 2);
    p.headStart();
    p.ladder.answer(1, { status: 'stopped', cause: '#EXT-X-ENDLIST' });
    expect(p.decided()).to.deep.include({ status: 'stopped', index: 1 });
    const f = harness('fallback', 2);
    f.ladder.answer(0, { status: 'stopped', cause: '#EXT-X-ENDLIST' });
    expect(f.asked).to.deep.equal([0, 1]);
    f.ladder.answer(1, LIVE);
    expect(f.decided()).to.deep.include({ status: 'live', index: 1 });
  });

  it('an empty ladder is not live at once; a cancelled one asks no more', () => {
    expect(harness('fallback', 0).decided()).to.deep.include({ status: 'not-live' });
    const h = harness('primary', 3);
    h.ladder.cancel();
    h.headStart();
    expect(h.asked).to.deep.equal([0]);
  });
});
