/**
 * The built demo page (dist/index.html, from `npm run build`) in a fixed-size <iframe>, driven
 * into each state a viewer meets: prelive, primary, fallback, stopped. Each time a real
 * screenshot of the frame (Playwright, real Chromium) is compared with a committed reference,
 * test/screenshots/demo-<state>.png, by the `compare-screenshot` command
 * (test/support/snapshot-plugin.mjs): a tolerance per pixel and a maximum share of differing
 * pixels. A missing reference (or any, with UPDATE_SCREENSHOTS=1) is written instead; on a
 * mismatch the actual and a diff image go to test-results/screenshots/.
 *
 * What changes from run to run is kept out: the running counter in the corner of the test
 * video and the demo's snippet (it shows the origin's random ports) are masked; the clock
 * times in the demo's log are replaced with a fixed text before each screenshot.
 * Each screenshot is also compared with the other states' references and must differ from
 * them: a wrong state (blue for red, the message or the poster missing) cannot pass.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand, setViewport } from '@web/test-runner-commands';
import type { LivePlayer } from '../../src/live-player.js';
import { poll, setFault, sleep, until, useFreshServers } from './helpers.js';

const DEMO = '/dist/index.html';
/** The demo's two-column layout, tall enough for the player, the controls, the log and the snippet. */
const FRAME = { width: 1000, height: 1520 };
const STATES = ['prelive', 'primary', 'fallback', 'stopped'] as const;
type DemoState = (typeof STATES)[number];

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface CompareResult {
  written: boolean;
  match: boolean;
  missing?: boolean;
  reference: string;
  reason: string;
  diffRatio?: number;
  actual?: string;
  diffImage?: string | null;
}
interface ComparePayload {
  selector: string;
  name: string;
  masks: Rect[];
  pixelTolerance: number;
  maxDiffRatio: number;
  against?: string;
}

// A channel may differ by up to 40 (video compression, scaling); at most 0.05 % of the compared
// pixels (about 600 of the frame's 1.25 million) may differ by more. A message line alone is
// several thousand pixels of text, the player about 180 000.
const PIXEL_TOLERANCE = 40;
const MAX_DIFF_RATIO = 0.0005;

async function loadDemo(): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.id = 'demo-frame';
  frame.style.cssText = `width: ${FRAME.width}px; height: ${FRAME.height}px; border: 0; display: block`;
  frame.src = DEMO;
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  return frame;
}

const doc = (frame: HTMLIFrameElement) => frame.contentDocument!;

/** The demo's player, once the CDN file has defined it and the demo has given it its sources. */
async function playerIn(frame: HTMLIFrameElement): Promise<LivePlayer> {
  await until(
    () => Boolean(frame.contentWindow?.customElements.get('live-player') && doc(frame).querySelector('live-player[primary]')),
    'a defined <live-player> with its sources in the demo',
    20000,
  );
  return doc(frame).querySelector('live-player') as LivePlayer;
}

function shownMessage(player: LivePlayer): string {
  const message = player.shadowRoot?.querySelector('[part~="message"]');
  return (message?.querySelector('slot')?.textContent ?? message?.textContent ?? '').trim();
}

/** The visible <video> is playing: frames shown and time running. */
async function waitForPicture(player: LivePlayer, role: 'primary' | 'fallback') {
  const video = () => player.shadowRoot?.querySelector<HTMLVideoElement>(`video[data-role="${role}"][data-visible]`);
  await until(() => (video()?.readyState ?? 0) >= 2 && (video()?.currentTime ?? 0) > 0, `the ${role} video showing frames`, 20000);
  const from = video()!.currentTime;
  await until(() => (video()?.currentTime ?? 0) > from + 0.5, `the ${role} video's time running`, 20000);
}

async function waitForState(player: LivePlayer, state: string) {
  await until(
    () => player.state === state && player.getAttribute('data-state') === state,
    () => `state ${state} (it is ${player.state})`,
    30000,
  );
}

/** A button of the demo, clicked as a person would (the demo calls the origin's control API). */
async function clickDemoButton(frame: HTMLIFrameElement, stream: 'primary' | 'fallback', fault: string) {
  const fieldset = doc(frame).querySelector(`fieldset[data-server="hls"][data-stream="${stream}"]`)!;
  fieldset.querySelector<HTMLButtonElement>(`button[data-fault="${fault}"]`)!.click();
  await until(() => fieldset.querySelector('output')!.value === fault, `the demo showing ${stream} → ${fault}`, 20000);
}

/** Replaces the clock times and measured durations in the log with fixed texts (they differ every run). */
function freezeLogTimes(frame: HTMLIFrameElement) {
  for (const line of doc(frame).querySelectorAll('#log li')) {
    line.textContent = line.textContent!.replace(/^\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?/, '00:00:00').replace(/\d+ ms/g, 'N ms');
  }
}

/** What is left out of the comparison, in the frame's coordinates. */
function volatileAreas(frame: HTMLIFrameElement): Rect[] {
  const rect = (element: Element | null): Rect => {
    const box = element!.getBoundingClientRect();
    return { x: box.left, y: box.top, width: box.width, height: box.height };
  };
  const player = rect(doc(frame).querySelector('live-player'));
  return [
    // The test streams' label with its running counter ("red 12"), bottom left of the picture.
    { x: player.x, y: player.y + player.height * 0.8, width: player.width * 0.3, height: player.height * 0.2 },
    // The snippet names the stream URLs, with the origin's random ports.
    rect(doc(frame).querySelector('#snippet')),
  ];
}

function compare(frame: HTMLIFrameElement, name: string, against?: DemoState) {
  freezeLogTimes(frame);
  return executeServerCommand<CompareResult, ComparePayload>('compare-screenshot', {
    selector: '#demo-frame',
    name,
    masks: volatileAreas(frame),
    pixelTolerance: PIXEL_TOLERANCE,
    maxDiffRatio: MAX_DIFF_RATIO,
    ...(against ? { against: `demo-${against}` } : {}),
  });
}

/**
 * Compares the frame with test/screenshots/demo-<state>.png, a few times over a few seconds
 * (a switch may still be settling), then with every other state's reference, which it must not
 * match.
 */
async function expectScreenshot(frame: HTMLIFrameElement, state: DemoState) {
  const name = `demo-${state}`;
  // Settled for a moment first: a reference may be written from this very screenshot.
  await sleep(1000);
  let result!: CompareResult;
  await poll(async () => (result = await compare(frame, name)).match, 8000, 500);
  if (result.written) console.log(`[screenshots] ${result.reason}: look at it, then commit it`);
  if (!result.match) {
    throw new Error(
      `the demo in state ${state} does not match ${result.reference}: ${result.reason}` +
        (result.actual ? `; see ${result.actual} and ${result.diffImage}` : ''),
    );
  }
  for (const other of STATES) {
    if (other === state) continue;
    const cross = await compare(frame, name, other);
    if (cross.missing) continue;
    expect(cross.match, `the ${state} screenshot must not pass as ${other} (${cross.reason})`).to.equal(false);
  }
}

describe('demo page screenshots (dist/index.html)', function () {
  this.timeout(60000);

  before(async () => {
    const response = await fetch(DEMO);
    if (!response.ok) throw new Error(`${DEMO}: HTTP ${response.status}; run \`npm run build\` first`);
    await setViewport({ width: FRAME.width + 40, height: FRAME.height + 40 });
  });
  useFreshServers({ servers: 'origin', cleanUp: () => document.querySelectorAll('iframe').forEach((frame) => frame.remove()) });

  it('prelive: both streams down, the poster and "not started yet"', async () => {
    await setFault('primary', '404');
    await setFault('fallback', '404');
    const frame = await loadDemo();
    const player = await playerIn(frame);
    await waitForState(player, 'prelive');
    await until(() => shownMessage(player) === 'The live stream has not started yet', 'the prelive message', 20000);
    await until(() => player.shadowRoot?.querySelector<HTMLImageElement>('[part~="poster"]')?.complete === true, 'the poster', 20000);
    await expectScreenshot(frame, 'prelive');
  });

  it('primary: the red stream playing', async () => {
    const frame = await loadDemo();
    const player = await playerIn(frame);
    await waitForState(player, 'primary');
    await waitForPicture(player, 'primary');
    await expectScreenshot(frame, 'primary');
  });

  it('fallback: the blue stream playing after the primary is killed', async () => {
    const frame = await loadDemo();
    const player = await playerIn(frame);
    await waitForState(player, 'primary');
    await waitForPicture(player, 'primary');
    await clickDemoButton(frame, 'primary', '404');
    await waitForState(player, 'fallback');
    await waitForPicture(player, 'fallback');
    await expectScreenshot(frame, 'fallback');
  });

  it('stopped: the primary ends its playlist, the poster and "has ended"', async () => {
    const frame = await loadDemo();
    const player = await playerIn(frame);
    await waitForState(player, 'primary');
    await waitForPicture(player, 'primary');
    await clickDemoButton(frame, 'primary', 'endlist');
    await waitForState(player, 'stopped');
    await until(() => shownMessage(player) === 'The live stream has ended', 'the stopped message', 20000);
    await until(() => player.shadowRoot?.querySelector<HTMLImageElement>('[part~="poster"]')?.complete === true, 'the poster', 20000);
    await expectScreenshot(frame, 'stopped');
  });
});
