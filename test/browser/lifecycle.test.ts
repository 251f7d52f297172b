/**
 * The element's lifecycle against the real origin: a new source starts over, removal ends
 * all network activity, slots replace the default messages.
 */
import { expect } from '@open-wc/testing';
import {
  expectSteady,
  mountPlayer,
  mountPlaying,
  origin,
  recordStates,
  requestLog,
  setFault,
  sleep,
  useFreshServers,
  waitForSeen,
  waitForState,
} from './helpers.js';

describe('lifecycle', function () {
  this.timeout(120000);
  useFreshServers({ servers: 'origin' });

  it('starts over with the new source when `primary` changes while playing', async () => {
    const { streams } = await origin();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });

    player.setAttribute('primary', streams.spare);
    await waitForSeen('green', 20000);
    await expectSteady('green');
    const changes = recordStates(player);
    expect(changes.map((change) => `${change.state}:${change.reason}`)).to.include.members(['prelive:config-changed']);
    expect(player.state).to.equal('primary');

    // Nothing is asked of the old primary any more.
    const from = Date.now();
    await sleep(3000);
    expect(await requestLog(from, 'primary')).to.deep.equal([]);
  });

  it('stops every request when removed from the page, and starts again when put back', async () => {
    const { streams } = await origin();
    const player = await mountPlaying({ primary: streams.primary, fallback: streams.fallback });

    player.remove();
    await sleep(500);
    expect(player.state).to.equal('idle');
    const from = Date.now();
    await sleep(3000);
    expect(await requestLog(from)).to.deep.equal([]);

    document.body.append(player);
    await waitForState(player, 'primary', 20000);
    await waitForSeen('red', 20000);
  });

  it('keeps playing when moved within the page', async () => {
    const { streams } = await origin();
    const player = await mountPlaying({ primary: streams.primary });
    const changesBefore = recordStates(player).length;

    const box = document.createElement('div');
    document.body.prepend(box);
    box.append(player);
    await sleep(1500);
    expect(player.state).to.equal('primary');
    expect(recordStates(player).length, 'no restart').to.equal(changesBefore);
    await waitForSeen('red', 10000);
    box.remove();
  });

  it('shows slotted content instead of the default pre-live message', async () => {
    const { streams } = await origin();
    await setFault('primary', '404');
    const player = await mountPlayer({ primary: streams.primary, muted: true });
    const custom = document.createElement('p');
    custom.slot = 'prelive';
    custom.textContent = 'Doors open at 10:00';
    player.append(custom);
    await waitForState(player, 'prelive', 20000);
    await sleep(3000); // past the first look: the message, not the spinner
    const slot = player.shadowRoot!.querySelector('slot[name="prelive"]') as HTMLSlotElement | null;
    expect(slot, 'the prelive message is rendered').to.not.equal(null);
    expect(slot!.assignedElements()).to.deep.equal([custom]);
    expect(custom.getBoundingClientRect().height).to.be.greaterThan(0);
  });
});
