/**
 * The engine groups' first file: checks the test infrastructure itself in Firefox and WebKit
 * before the player's tests run there. `sample-screen` must crop the right element out of the
 * engine's screenshot (three coloured boxes at known places), and show the player's poster
 * (no media playback involved), so a later failure is the engine's or the player's, not the
 * harness's. It also logs what the engine is (user agent, visibility, the media APIs present).
 */
import { expect } from '@open-wc/testing';
import { mountPlayer, origin, seen, setFault, screenUntil, useFreshServers, waitForState } from '../browser/helpers.js';

describe('the test infrastructure in this engine', function () {
  this.timeout(60000);
  useFreshServers({ servers: 'origin', cleanUp: () => document.querySelectorAll('.selftest-box').forEach((box) => box.remove()) });

  it('reads the colour of the right element from a screenshot', async () => {
    const boxes: [string, string, string][] = [
      ['selftest-red', 'left:500px;top:20px;width:120px;height:80px', '#d01010'],
      ['selftest-blue', 'left:60px;top:400px;width:200px;height:60px', '#1010d0'],
      ['selftest-green', 'left:640px;top:500px;width:100px;height:60px', '#10d010'],
    ];
    for (const [id, place, colour] of boxes) {
      document.body.insertAdjacentHTML(
        'beforeend',
        `<div id="${id}" class="selftest-box" style="position:absolute;${place};background:${colour}"></div>`,
      );
    }
    expect(await seen('#selftest-red')).to.equal('red');
    expect(await seen('#selftest-blue')).to.equal('blue');
    expect(await seen('#selftest-green')).to.equal('green');
    document.body.insertAdjacentHTML('beforeend', '<div id="selftest-empty" class="selftest-box"></div>');
    expect(await seen('#selftest-empty'), 'an element with no area').to.equal('none');
    console.log(
      `${navigator.userAgent}; visibility ${document.visibilityState}; MediaSource ${'MediaSource' in window}; ` +
        `ManagedMediaSource ${'ManagedMediaSource' in window}; RTCPeerConnection ${'RTCPeerConnection' in window}; ` +
        `requestVideoFrameCallback ${'requestVideoFrameCallback' in HTMLVideoElement.prototype}`,
    );
  });

  it("shows the player's poster while both sources are down (no playback needed)", async () => {
    const { streams, posterUrl } = await origin();
    await setFault('primary', '404');
    await setFault('fallback', '404');
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, poster: posterUrl, muted: true });
    await waitForState(player, 'prelive', 20000);
    // The poster is an <img>: it paints once the engine has loaded and decoded it, which a
    // browser that has just started (WebKitGTK on a busy CI machine) may not have done by the
    // time both 404s have put the player in prelive. Until then only black (the host) may show.
    const prelive = performance.now();
    const samples = await screenUntil('poster', 10000);
    expect(
      samples.filter((sample) => sample !== 'poster' && sample !== 'black'),
      'nothing but black before the poster',
    ).to.deep.equal([]);
    console.log(`poster on screen ${Math.round(performance.now() - prelive)} ms after prelive (${samples.length} samples)`);
  });
});
