/**
 * Inside the cross-origin iframe of autoplay.test.ts. First a control: a plain video with real
 * media (and an audio track) asked to play with sound, which the browser must refuse here. Then
 * a <live-player> without `muted`. The parent asks for reports over postMessage; it clicks
 * for real (sendMouse), so nothing here touches the player after mounting it.
 */
import '../../src/define.js';
import type { LivePlayer } from '../../src/live-player.js';

export interface FrameReport {
  origin: string;
  /** Sticky user activation of this frame's document. */
  hasBeenActive: boolean;
  /** How a plain `video.play()` with sound ended here: 'played' or the rejection's name. */
  control: string;
  state: string;
  states: string[];
  video: { muted: boolean; paused: boolean; currentTime: number } | null;
  button: { x: number; y: number; width: number; height: number } | null;
}

const primary = new URLSearchParams(location.search).get('primary');

/** A plain <video> with the red clip (video + AAC audio), unmuted, asked to play. */
async function playWithSound(): Promise<string> {
  const parts = await Promise.all(
    ['init.mp4', 'seg-0.m4s'].map(async (file) => (await fetch(`/test/media/red/${file}`)).arrayBuffer()),
  );
  const video = document.createElement('video');
  const url = URL.createObjectURL(new Blob(parts, { type: 'video/mp4' }));
  video.src = url;
  let outcome: string;
  try {
    await video.play();
    outcome = 'played';
  } catch (error) {
    outcome = (error as DOMException)?.name ?? String(error);
  }
  video.pause();
  video.removeAttribute('src');
  video.load();
  URL.revokeObjectURL(url);
  return outcome;
}

const control = await playWithSound();

const player = document.createElement('live-player') as LivePlayer;
const states: string[] = [];
player.addEventListener('statechange', () => states.push(player.state));
player.style.width = '480px';
if (primary) player.setAttribute('primary', primary);
document.body.append(player);

function report(): FrameReport {
  const root = player.shadowRoot;
  const video = root?.querySelector<HTMLVideoElement>('video[data-visible]') ?? null;
  const box = root?.querySelector('[part~="unmute-button"]')?.getBoundingClientRect();
  return {
    origin: location.origin,
    hasBeenActive: navigator.userActivation.hasBeenActive,
    control,
    state: player.state,
    states,
    video: video && { muted: video.muted, paused: video.paused, currentTime: video.currentTime },
    button: box ? { x: box.x, y: box.y, width: box.width, height: box.height } : null,
  };
}

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== parent || event.data?.type !== 'report') return;
  parent.postMessage({ type: 'report', id: event.data.id, report: report() }, '*');
});
parent.postMessage({ type: 'ready' }, '*');
