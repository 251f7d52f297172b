/**
 * The built embed page (dist/embed.html, from `npm run build`) in an <iframe>, as a site would
 * embed it: the query string configures the player, the stream plays (read from pixels), and
 * a refused URL shows the error message. The page runs under its own CSP (script-src 'self').
 */
import { expect } from '@open-wc/testing';
import type { LivePlayer } from '../../src/live-player.js';
import { origin, poll, resetOrigin, setFault, sleep, until, waitForSeen } from './helpers.js';

const EMBED = '/dist/embed.html';

async function mountEmbed(query: Record<string, string> | [string, string][]): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 480px; height: 270px; border: 0; display: block';
  frame.src = `${EMBED}?${new URLSearchParams(query)}`;
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  return frame;
}

/** The player inside the (same-origin) frame, once the CDN file has defined it. */
function playerIn(frame: HTMLIFrameElement, timeoutMs = 10000): Promise<LivePlayer> {
  return until(
    () => {
      const player = frame.contentDocument?.querySelector('live-player') as LivePlayer | null;
      return player && frame.contentWindow?.customElements.get('live-player') ? player : null;
    },
    'a defined <live-player> in the embed page',
    timeoutMs,
  );
}

describe('embed page (dist/embed.html)', function () {
  this.timeout(60000);

  before(async () => {
    const response = await fetch(EMBED);
    if (!response.ok) throw new Error(`${EMBED}: HTTP ${response.status}; run \`npm run build\` first`);
  });
  beforeEach(() => resetOrigin());
  afterEach(() => {
    for (const frame of document.querySelectorAll('iframe')) frame.remove();
  });

  it('plays the primary named in the query string, filling the frame', async () => {
    const { streams } = await origin();
    const frame = await mountEmbed({ primary: streams.primary, fallback: streams.fallback, muted: '1', 'prefer-primary': '' });
    const player = await playerIn(frame);
    expect(player.primary).to.equal(streams.primary);
    expect(player.fallback).to.equal(streams.fallback);
    expect(player.muted).to.equal(true);
    expect(player.preferPrimary).to.equal(true);
    expect(player.controls).to.equal(false);
    await waitForSeen('red', 30000, 'iframe');
    const box = player.getBoundingClientRect();
    expect([Math.round(box.width), Math.round(box.height)]).to.deep.equal([480, 270]);
  });

  it('plays the fallback when the query string says so with fallback-type and an unplayable primary', async () => {
    const { streams } = await origin();
    // The primary is refused at the origin (404): the fallback, named with its type, plays.
    const frame = await mountEmbed({
      primary: `${streams.primary}-missing`,
      'primary-type': 'hls',
      fallback: streams.fallback,
      'fallback-type': 'hls',
      muted: 'true',
    });
    await playerIn(frame);
    await waitForSeen('blue', 30000, 'iframe');
  });

  it('takes a ladder as repeated parameters: the next endpoint plays when the first is gone', async () => {
    const { edges } = await origin();
    await setFault('primary', '404', { edge: 'a' });
    const frame = await mountEmbed([
      ['primary', edges.primary.a],
      ['primary', edges.primary.b],
      ['muted', '1'],
    ]);
    const player = await playerIn(frame);
    expect(player.getAttribute('primary')).to.equal(`${edges.primary.a} ${edges.primary.b}`);
    await waitForSeen('red', 30000, 'iframe');
    expect(player.source).to.deep.include({ stream: 'primary', index: 1 });
  });

  it('shows the error message for a javascript: primary, and runs none of it', async () => {
    const frame = await mountEmbed({ primary: 'javascript:parent.__embedPwned=1//.m3u8', poster: 'javascript:parent.__embedPwned=2' });
    const player = await playerIn(frame);
    await player.updateComplete;
    await poll(() => player.state === 'error', 5000);
    expect(player.state).to.equal('error');
    const box = player.shadowRoot!.querySelector('[part~="error"]') as HTMLElement | null;
    expect(box, 'the error message box').to.not.equal(null);
    expect(box!.getBoundingClientRect().height).to.be.greaterThan(0);
    expect(box!.textContent!.trim()).to.be.a('string').and.not.empty;
    await sleep(300);
    expect((window as unknown as { __embedPwned?: number }).__embedPwned).to.equal(undefined);
  });

  it('treats query values as text: markup in a parameter is an attribute value, never HTML', async () => {
    const frame = await mountEmbed({ primary: '"><img src=x onerror="parent.__embedPwned=3">', muted: '0' });
    const player = await playerIn(frame);
    await player.updateComplete;
    expect(frame.contentDocument!.querySelectorAll('img, live-player')).to.have.length(1);
    expect(player.muted).to.equal(false);
    await sleep(300);
    expect((window as unknown as { __embedPwned?: number }).__embedPwned).to.equal(undefined);
  });
});
