/**
 * Bad configuration gives an `error` event, `data-state="error"` and a visible message;
 * never an exception or a blank box. No media needed, but the real element in real Chromium.
 */
import { expect, oneEvent } from '@open-wc/testing';
import type { LivePlayer, PlayerErrorDetail } from '../../src/index.js';
import { mountPlayer, origin, sleep, unmountAll, waitForState } from './helpers.js';

const uncaught: unknown[] = [];
window.addEventListener('error', (event) => uncaught.push(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => uncaught.push(event.reason));

async function mountExpectingError(attributes: Record<string, string | boolean>) {
  const player = document.createElement('live-player') as LivePlayer;
  for (const [name, value] of Object.entries(attributes)) player.setAttribute(name, String(value));
  const errorEvent = oneEvent(player, 'error') as Promise<CustomEvent<PlayerErrorDetail>>;
  document.body.append(player);
  const event = await errorEvent;
  await player.updateComplete;
  return { player, detail: event.detail };
}

function visibleError(player: LivePlayer): string {
  const box = player.shadowRoot?.querySelector('[part~="error"]') as HTMLElement | null;
  if (!box || box.getBoundingClientRect().height === 0) return '';
  return box.textContent?.trim() ?? '';
}

describe('configuration errors', function () {
  this.timeout(30000);
  afterEach(() => unmountAll());

  const cases: [string, Record<string, string>, string][] = [
    ['no primary', {}, 'missing-primary'],
    ['an unparsable URL', { primary: 'https://[not-a-host/live.m3u8' }, 'invalid-url'],
    ['a javascript: URL', { primary: 'javascript:alert(1)//.m3u8' }, 'unsupported-scheme'],
    ['a data: URL', { primary: 'data:application/vnd.apple.mpegurl,#EXTM3U' }, 'unsupported-scheme'],
    [
      'an ftp: fallback',
      { primary: 'https://example.invalid/a.m3u8', fallback: 'ftp://example.invalid/b.m3u8' },
      'unsupported-scheme',
    ],
    ['an unknown source type', { primary: 'https://example.invalid/a.m3u8', 'primary-type': 'rtmp' }, 'unsupported-source-type'],
  ];

  for (const [what, attributes, code] of cases) {
    it(`reports ${what} with an error event and a visible message`, async () => {
      const { player, detail } = await mountExpectingError(attributes);
      expect(detail.code).to.equal(code);
      expect(detail.message).to.be.a('string').and.not.empty;
      expect(player.state).to.equal('error');
      expect(player.getAttribute('data-state')).to.equal('error');
      expect(visibleError(player)).to.equal(detail.message);
    });
  }

  it('renders attribute text as text, never as HTML', async () => {
    const { player } = await mountExpectingError({ primary: 'javascript:<img src=x onerror="window.__pwned=1">' });
    await sleep(200);
    expect(player.shadowRoot!.querySelector('img')).to.equal(null);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('starts once the configuration is fixed', async () => {
    const { streams } = await origin();
    const { player } = await mountExpectingError({});
    player.setAttribute('primary', streams.primary);
    await waitForState(player, 'primary', 20000);
    expect(visibleError(player)).to.equal('');
  });

  it('threw nothing along the way', () => {
    expect(uncaught).to.deep.equal([]);
  });
});

describe('the public surface', () => {
  afterEach(() => unmountAll());

  it('has a read-only state and reflects it as data-state', async () => {
    const player = await mountPlayer({});
    expect(player.state).to.equal('error');
    expect(() => {
      (player as unknown as { state: string }).state = 'primary';
    }).to.throw();
    expect(player.state).to.equal('error');
  });
});
