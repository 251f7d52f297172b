/**
 * Autoplay on a first visit, where the browser refuses sound without a user gesture: the
 * player must start muted by itself and offer "Unmute", never a dead play button; a real
 * click on it brings the sound.
 *
 * Under Playwright the test page itself already counts as user-activated, so sound would be
 * allowed there. The player therefore runs in a CROSS-ORIGIN iframe (the test page's host is
 * `localhost`, the frame's `127.0.0.1`, same wtr server and port) without `allow="autoplay"`:
 * user activation does not reach it and the autoplay permission is not delegated to it, so
 * (with this group's `--autoplay-policy=document-user-activation-required`) the frame gets
 * no sound until someone clicks in it. A control in the frame proves the refusal is in force.
 */
import { expect } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import { origin, resetOrigin, sleep, until, waitForSeen } from '../browser/helpers.js';
import type { FrameReport } from './frame.js';

let frame: HTMLIFrameElement | null = null;
let asked = 0;

function otherHost(): string {
  const { hostname } = location;
  if (hostname === 'localhost') return '127.0.0.1';
  if (hostname === '127.0.0.1') return 'localhost';
  throw new Error(`the test page should be on localhost or 127.0.0.1, not ${hostname}`);
}

/** What the frame posts back. */
interface FrameMessage {
  type?: string;
  id?: number;
  report?: FrameReport;
}

function messageFrom(
  target: HTMLIFrameElement,
  accept: (data: FrameMessage | null) => boolean,
  timeoutMs: number,
): Promise<FrameMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      window.removeEventListener('message', onMessage);
      reject(new Error(`no answer from the frame within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (event: MessageEvent) => {
      if (event.source !== target.contentWindow || !accept(event.data)) return;
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      resolve(event.data);
    };
    window.addEventListener('message', onMessage);
  });
}

async function ask(target: HTMLIFrameElement): Promise<FrameReport> {
  asked += 1;
  const id = asked;
  const answer = messageFrom(target, (data) => data?.type === 'report' && data.id === id, 5000);
  target.contentWindow!.postMessage({ type: 'report', id }, '*');
  return (await answer).report!;
}

/** Asks the frame until `done` holds; fails with the last report. */
async function waitForReport(
  target: HTMLIFrameElement,
  done: (report: FrameReport) => boolean,
  what: string,
  timeoutMs: number,
): Promise<FrameReport> {
  let last: FrameReport | null = null;
  return until(
    async () => {
      last = await ask(target);
      return done(last) ? last : null;
    },
    () => `${what}; the frame reports ${JSON.stringify(last)}`,
    timeoutMs,
    100,
  );
}

describe('autoplay without a gesture (cross-origin iframe)', function () {
  this.timeout(60000);
  before(resetOrigin);
  after(() => frame?.remove());

  it('starts muted, shows Unmute, and unmutes on a real click', async () => {
    const { streams } = await origin();
    frame = document.createElement('iframe');
    // No allow="autoplay": the frame must earn its sound with its own gesture.
    frame.src = `${location.protocol}//${otherHost()}:${location.port}/test/autoplay/frame.html?${new URLSearchParams({ primary: streams.primary })}`;
    Object.assign(frame.style, { position: 'absolute', left: '20px', top: '30px', width: '520px', height: '360px', border: '0' });
    const ready = messageFrom(frame, (data) => data?.type === 'ready', 20000);
    document.body.append(frame);
    await ready;

    const first = await ask(frame);
    expect(first.origin, 'the frame is cross-origin').to.not.equal(location.origin);
    expect(first.hasBeenActive, 'no gesture in the frame yet').to.equal(false);
    // Control: sound is really refused here, so the player cannot have had it either.
    expect(first.control, 'a plain video.play() with sound in the frame').to.equal('NotAllowedError');

    const muted = await waitForReport(
      frame,
      (r) => r.state === 'primary' && !!r.video && !r.video.paused && r.button !== null,
      'primary, playing, with an Unmute button',
      20000,
    );
    expect(muted.video!.muted, 'muted by the autoplay policy').to.equal(true);
    expect(
      muted.states.filter((s) => s === 'fallback' || s === 'error'),
      'no fallback or error on the way',
    ).to.deep.equal([]);
    // A viewer sees the picture (a real screenshot of the page, over the iframe)...
    await waitForSeen('red', 20000, 'iframe');
    // ...and it moves.
    const before = (await ask(frame)).video!.currentTime;
    await sleep(1000);
    expect((await ask(frame)).video!.currentTime, 'muted playback advances').to.be.greaterThan(before + 0.3);

    const offset = frame.getBoundingClientRect();
    const box = muted.button!;
    await sendMouse({
      type: 'click',
      position: [Math.round(offset.x + box.x + box.width / 2), Math.round(offset.y + box.y + box.height / 2)],
    });

    const unmuted = await waitForReport(
      frame,
      (r) => r.button === null && !!r.video && !r.video.muted,
      'sound on and no Unmute button after the click',
      5000,
    );
    expect(unmuted.hasBeenActive, 'the click was a real gesture in the frame').to.equal(true);
    expect(unmuted.video!.paused, 'still playing after unmuting').to.equal(false);
    const unmutedAt = unmuted.video!.currentTime;
    await sleep(1000);
    const later = await ask(frame);
    expect(later.video!.muted, 'stays unmuted').to.equal(false);
    expect(later.video!.paused, 'stays playing').to.equal(false);
    expect(later.video!.currentTime, 'playback with sound advances').to.be.greaterThan(unmutedAt + 0.3);
    expect(later.state).to.equal('primary');
  });
});
