// The demo page: one player fed by the embedded local origin, buttons that break and revive
// each stream through the origin's control API, and a log of the player's state changes.
import type { StateChangeDetail } from '../src/index.js';

interface ServerInfo {
  controlUrl: string;
  streams: Record<'primary' | 'fallback', string>;
}
interface DemoServers {
  hls: ServerInfo;
  whep: ServerInfo | null;
  posterUrl: string;
}
type ServerName = 'hls' | 'whep';

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
  const servers: DemoServers = await (await fetch('/__origin.json')).json();
  const select = document.querySelector<HTMLSelectElement>('#sources')!;
  if (!servers.whep) {
    for (const option of select.options) option.disabled = option.value !== 'hls:hls';
    for (const fieldset of document.querySelectorAll<HTMLFieldSetElement>('fieldset[data-server="whep"]')) {
      fieldset.disabled = true;
    }
  }

  for (const fieldset of document.querySelectorAll<HTMLFieldSetElement>('fieldset[data-stream]')) {
    const server = servers[fieldset.dataset.server as ServerName];
    const stream = fieldset.dataset.stream!;
    const output = fieldset.querySelector('output')!;
    fieldset.addEventListener('click', async (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-fault]');
      if (!button || !server) return;
      const kind = button.dataset.fault!;
      await fetch(`${server.controlUrl}/control/${stream}?kind=${encodeURIComponent(kind)}`);
      output.value = kind;
      addLogLine(`${fieldset.dataset.server}: ${stream} → ${kind}`);
    });
  }

  const applySources = () => {
    const [primaryServer, fallbackServer] = select.value.split(':') as [ServerName, ServerName];
    const primary = servers[primaryServer]?.streams.primary;
    const fallback = servers[fallbackServer]?.streams.fallback;
    if (!primary || !fallback) return;
    player.setAttribute('primary', primary);
    player.setAttribute('fallback', fallback);
    document.querySelector('#snippet')!.textContent = [
      '<script type="module" src="https://your.cdn/live-player.js"></script>',
      '',
      '<live-player',
      `  primary="${primary}"`,
      `  fallback="${fallback}"`,
      '  poster="poster.jpg" controls muted>',
      '</live-player>',
    ].join('\n');
  };
  select.addEventListener('change', applySources);

  document.querySelector('#prefer-primary')!.addEventListener('change', (event) => {
    player.toggleAttribute('prefer-primary', (event.target as HTMLInputElement).checked);
  });
  document.querySelector('#reload')!.addEventListener('click', () => player.reload());

  player.setAttribute('poster', servers.posterUrl);
  applySources();
  // Defined once its sources are known, so it starts with them (no "no primary" error first).
  await import('../src/define.js');
}

main().catch((error) => addLogLine(`demo could not reach the local servers: ${error}`));
