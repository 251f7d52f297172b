/** A page whose sources are all WHEP never downloads hls.js. */
import { expect } from '@open-wc/testing';
import { mountPlaying, resetWhep, unmountAll, waitForNoWhepSessions, whep } from './helpers.js';

describe('a WHEP-only page', function () {
  this.timeout(60000);
  before(resetWhep);
  after(async () => {
    unmountAll();
    await waitForNoWhepSessions(10000);
  });

  it('plays without requesting hls.js', async () => {
    const { streams } = await whep();
    await mountPlaying({ primary: streams.primary, fallback: streams.fallback });
    const loaded = performance.getEntriesByType('resource').map((entry) => entry.name);
    expect(loaded.some((name) => name.includes('/src/sources/'))).to.equal(true, 'resource timing sees the modules');
    expect(loaded.filter((name) => /hls\.js|hls\.m?js/i.test(name))).to.deep.equal([]);
  });
});
