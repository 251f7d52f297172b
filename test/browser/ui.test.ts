/**
 * The viewer-facing UI in real Chromium against the real origin: accessibility of the shadow
 * DOM in each state (axe), the polite announcement of a switch, language-aware texts, the
 * live badge, and the media events a media-chrome controller listens to.
 */
import { expect } from '@open-wc/testing';
import type { LivePlayer } from '../../src/index.js';
import { mountPlayer, origin, setFault, sleep, until, useFreshServers, waitForSeen, waitForState } from './helpers.js';

function announcement(player: LivePlayer): string {
  return player.shadowRoot!.querySelector('[aria-live="polite"]')?.textContent?.trim() ?? '';
}

function shownMessage(player: LivePlayer): string {
  const message = player.shadowRoot!.querySelector('[part~="message"]');
  return (message?.querySelector('slot')?.textContent ?? message?.textContent ?? '').trim();
}

describe('the player UI', function () {
  this.timeout(120000);
  useFreshServers({ servers: 'origin' });

  it('is accessible (axe) in prelive, primary, fallback, stopped and error', async () => {
    const { streams, posterUrl } = await origin();
    await setFault('primary', '404');
    await setFault('fallback', '404');
    const player = await mountPlayer({
      primary: streams.primary,
      fallback: streams.fallback,
      poster: posterUrl,
      controls: true,
      muted: true,
    });
    await waitForState(player, 'prelive');
    await until(() => shownMessage(player) !== '', 'the prelive message', 20000);
    await expect(player).to.be.accessible();

    await setFault('primary', 'none');
    await waitForSeen('red', 30000);
    await expect(player).to.be.accessible();

    await setFault('fallback', 'none');
    await sleep(1500);
    await setFault('primary', '404');
    await waitForSeen('blue', 30000);
    await expect(player).to.be.accessible();

    await setFault('primary', 'endlist');
    await waitForState(player, 'stopped', 30000);
    await expect(player).to.be.accessible();

    player.setAttribute('primary', 'javascript:alert(1)');
    await waitForState(player, 'error', 5000);
    await expect(player).to.be.accessible();
  });

  it('announces a switch to the backup and back politely, and shows a live badge', async () => {
    const { streams } = await origin();
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, muted: true });
    await waitForSeen('red', 20000);
    expect(announcement(player), 'nothing to announce at start').to.equal('');
    expect(player.shadowRoot!.querySelector('[part~="live-badge"]')?.textContent?.trim()).to.equal('Live');

    await setFault('primary', '404');
    await waitForSeen('blue', 30000);
    await until(() => announcement(player) === 'Switched to backup stream', 'the backup announcement', 20000);

    await setFault('primary', 'none');
    await sleep(2000);
    await setFault('fallback', '404');
    await waitForSeen('red', 30000);
    await until(() => announcement(player) === 'Back to the main stream', 'the return announcement', 20000);
  });

  it('speaks the language of the page from per-language strings, and takes a flat set too', async () => {
    const { streams } = await origin();
    await setFault('primary', '404');
    const wrapper = document.createElement('div');
    wrapper.lang = 'fr-CA';
    document.body.append(wrapper);
    const french = document.createElement('live-player');
    french.strings = { fr: { prelive: "La diffusion en direct n'a pas encore commencé" }, de: { prelive: 'Noch nicht' } };
    french.setAttribute('primary', streams.primary);
    wrapper.append(french);
    await waitForState(french, 'prelive');
    await until(() => shownMessage(french) === "La diffusion en direct n'a pas encore commencé", 'the French message', 20000);

    const custom = await mountPlayer({ primary: streams.primary }, { strings: { prelive: 'Doors open at 7 pm' } });
    await waitForState(custom, 'prelive');
    await until(() => shownMessage(custom) === 'Doors open at 7 pm', 'the custom message', 20000);
    wrapper.remove();
  });

  it('re-dispatches the media events of the video on screen, and reads like a media element', async () => {
    const { streams } = await origin();
    const player = await mountPlayer({ primary: streams.primary, muted: true });
    const seenEvents = new Set<string>();
    for (const type of ['playing', 'timeupdate', 'pause', 'play']) player.addEventListener(type, () => seenEvents.add(type));
    await waitForSeen('red', 20000);
    await until(() => seenEvents.has('playing') && seenEvents.has('timeupdate'), 'playing and timeupdate', 20000);
    expect(player.paused).to.equal(false);
    expect(player.currentTime).to.be.greaterThan(0);

    player.pause();
    await until(() => seenEvents.has('pause'), 'pause', 20000);
    expect(player.paused).to.equal(true);
    await player.play();
    await until(() => seenEvents.has('play'), 'play', 20000);
    expect(player.paused).to.equal(false);
  });
});
