// The demo page: one player fed by the embedded local origin, buttons that break and revive
// each stream through the origin's control API, and a log of the player's state changes.
import type { StateChangeDetail } from '../src/index.js';

interface OriginInfo {
  controlUrl: string;
  posterUrl: string;
  streams: Record<'primary' | 'fallback', string>;
}

const player = document.querySelector('live-player')!;
// Typed by src/define.ts once loaded; until then it is a plain element.
const log = document.querySelector<HTMLOListElement>('#log')!;
const stateOutput = document.querySelector<HTMLOutputElement>('#state')!;
const causeOutput = document.querySelector<HTMLSpanElement>('#cause')!;

function addLogLine(text: string) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  log.prepend(item);
}

player.addEventListener('statechange', (event) => {
  const { state, previous, reason, cause } = (event as CustomEvent<StateChangeDetail>).detail;
  stateOutput.value = state;
  causeOutput.textContent = cause ? `(${cause})` : '';
  addLogLine(`${previous} → ${state}  [${reason}${cause ? `: ${cause}` : ''}]`);
});
player.addEventListener('error', (event) => {
  const detail = (event as unknown as CustomEvent<{ code: string; message: string }>).detail;
  if (detail?.code) addLogLine(`error ${detail.code}: ${detail.message}`);
});

async function main() {
  const origin: OriginInfo = await (await fetch('/__origin.json')).json();

  for (const fieldset of document.querySelectorAll<HTMLFieldSetElement>('fieldset[data-stream]')) {
    const stream = fieldset.dataset.stream!;
    const output = document.querySelector<HTMLOutputElement>(`[data-fault-of="${stream}"]`)!;
    fieldset.addEventListener('click', async (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-fault]');
      if (!button) return;
      const kind = button.dataset.fault!;
      await fetch(`${origin.controlUrl}/control/${stream}?kind=${encodeURIComponent(kind)}`);
      output.value = kind;
      addLogLine(`origin: ${stream} → ${kind}`);
    });
  }

  document.querySelector('#prefer-primary')!.addEventListener('change', (event) => {
    player.toggleAttribute('prefer-primary', (event.target as HTMLInputElement).checked);
  });
  document.querySelector('#reload')!.addEventListener('click', () => player.reload());

  player.setAttribute('poster', origin.posterUrl);
  player.setAttribute('primary', origin.streams.primary);
  player.setAttribute('fallback', origin.streams.fallback);
  // Defined once its sources are known, so it starts with them (no "no primary" error first).
  await import('../src/define.js');

  document.querySelector('#snippet')!.textContent = [
    '<script type="module" src="https://your.cdn/live-player.js"></script>',
    '',
    '<live-player',
    `  primary="${origin.streams.primary}"`,
    `  fallback="${origin.streams.fallback}"`,
    '  poster="poster.jpg" controls muted>',
    '</live-player>',
  ].join('\n');
}

main().catch((error) => addLogLine(`demo could not reach the local origin: ${error}`));
