// parseRetryAfter, sleep and fetchText (against a fake fetch on globalThis).
import { expect } from '@open-wc/testing';
import { fetchText, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from '../../src/sources/http.js';
import { installFakeFetch, type FakeFetch } from './sources-fakes.js';

const URL_ = 'https://origin.test/live/index.m3u8';

describe('parseRetryAfter', () => {
  const NOW = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('30')).to.equal(30000);
    expect(parseRetryAfter('0')).to.equal(0);
    expect(parseRetryAfter(' 5 ')).to.equal(5000);
    expect(parseRetryAfter('1.5')).to.equal(1500);
  });

  it('caps a very long delay: a live event cannot wait a day', () => {
    expect(MAX_RETRY_AFTER_MS).to.equal(60000);
    expect(parseRetryAfter('86400')).to.equal(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Wed, 21 Oct 2015 09:00:00 GMT', NOW)).to.equal(MAX_RETRY_AFTER_MS);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', NOW)).to.equal(30000);
  });

  it('clamps a date in the past to 0', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', NOW)).to.equal(0);
  });

  it('uses the current time by default', () => {
    const inTenSeconds = new Date(Date.now() + 10000).toUTCString();
    const ms = parseRetryAfter(inTenSeconds)!;
    // toUTCString drops the milliseconds.
    expect(ms).to.be.within(8900, 10000);
  });

  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfter(null)).to.equal(undefined);
    expect(parseRetryAfter('')).to.equal(undefined);
    expect(parseRetryAfter('soon')).to.equal(undefined);
    expect(parseRetryAfter('later, maybe')).to.equal(undefined);
  });
});

describe('sleep', () => {
  it('resolves after about the given time', async () => {
    const start = performance.now();
    await sleep(50);
    expect(performance.now() - start).to.be.at.least(45);
  });

  it('rejects with the reason when aborted while waiting', async () => {
    const controller = new AbortController();
    const start = performance.now();
    const pending = sleep(5000, controller.signal);
    setTimeout(() => controller.abort(new Error('stop it')), 20);
    let caught: unknown;
    await pending.catch((error) => (caught = error));
    expect((caught as Error)?.message).to.equal('stop it');
    expect(performance.now() - start).to.be.below(1000);
  });

  it('rejects at once when already aborted', async () => {
    const controller = new AbortController();
    controller.abort('gone');
    let caught: unknown;
    await sleep(5000, controller.signal).catch((error) => (caught = error));
    expect(caught).to.equal('gone');
  });

  it('resolves normally when a signal is given but never aborts', async () => {
    await sleep(10, new AbortController().signal);
  });
});

describe('fetchText', () => {
  let fake: FakeFetch | null = null;
  afterEach(() => {
    fake?.restore();
    fake = null;
  });

  it('returns the body and the URL on success, asking for an uncached response', async () => {
    fake = installFakeFetch(() => '#EXTM3U\n');
    const outcome = await fetchText(URL_, 1000);
    expect(outcome).to.deep.equal({ ok: true, text: '#EXTM3U\n', url: URL_ });
    expect(fake.urls()).to.deep.equal([URL_]);
    expect(fake.requests[0]!.init?.cache).to.equal('no-store');
    expect(fake.requests[0]!.init?.signal).to.be.instanceOf(AbortSignal);
  });

  it('reports an HTTP error with its status and Retry-After', async () => {
    fake = installFakeFetch(() => ({ status: 503, body: 'busy', headers: { 'Retry-After': '7' } }));
    expect(await fetchText(URL_, 1000)).to.deep.equal({
      ok: false,
      status: 503,
      cause: 'HTTP 503',
      retryAfterMs: 7000,
    });
  });

  it('reports an HTTP error without Retry-After', async () => {
    fake = installFakeFetch(() => ({ status: 404 }));
    const outcome = await fetchText(URL_, 1000);
    expect(outcome.ok).to.equal(false);
    if (outcome.ok) return;
    expect(outcome.status).to.equal(404);
    expect(outcome.cause).to.equal('HTTP 404');
    expect(outcome.retryAfterMs).to.equal(undefined);
    expect(outcome.aborted).to.not.equal(true);
  });

  it('reports a network error as unreachable, at the network level (no server answered)', async () => {
    fake = installFakeFetch(() => ({ networkError: true }));
    expect(await fetchText(URL_, 1000)).to.deep.equal({ ok: false, cause: 'unreachable', network: true });
  });

  it('gives up at the deadline, says so, and cancels the request', async () => {
    fake = installFakeFetch(() => ({ hang: true }));
    const start = performance.now();
    const outcome = await fetchText(URL_, 80);
    const elapsed = performance.now() - start;
    expect(outcome).to.deep.equal({ ok: false, cause: 'no answer within 80 ms' });
    expect(elapsed).to.be.within(75, 600);
    expect(fake.requests[0]!.aborted).to.equal(true);
  });

  it('reports an external abort as aborted, not as a failure of the source', async () => {
    fake = installFakeFetch(() => ({ hang: true }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const start = performance.now();
    const outcome = await fetchText(URL_, 5000, controller.signal);
    expect(outcome).to.deep.equal({ ok: false, cause: 'aborted', aborted: true });
    expect(performance.now() - start).to.be.below(1000);
    expect(fake.requests[0]!.aborted).to.equal(true);
  });

  it('makes no request at all when the signal is already aborted', async () => {
    fake = installFakeFetch(() => '#EXTM3U\n');
    const controller = new AbortController();
    controller.abort();
    expect(await fetchText(URL_, 1000, controller.signal)).to.deep.equal({ ok: false, cause: 'aborted', aborted: true });
    expect(fake.requests).to.have.length(0);
  });

  it('does not report a timeout after a fast answer (the deadline timer is cleared)', async () => {
    fake = installFakeFetch(() => '#EXTM3U\n');
    const controller = new AbortController();
    const outcome = await fetchText(URL_, 30, controller.signal);
    expect(outcome.ok).to.equal(true);
    // An abort after completion must not throw or change anything.
    controller.abort();
  });
});
