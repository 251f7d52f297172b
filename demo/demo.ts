/// <reference types="vite/client" />
// The demo page: one player fed by the embedded local origin, buttons that break and revive
// each stream through the origin's control API, and a log of the player's state changes.
import type { FailoverDetail, SourceChangeDetail, StateChangeDetail } from '../src/index.js';

interface ServerInfo {
  controlUrl: string;
  streams: Record<'primary' | 'fallback', string>;
  /** HLS only: each stream on each CDN edge of the origin. */
  edges?: Record<'primary' | 'fallback', Record<string, string>>;
}
interface DemoServers {
  hls: ServerInfo;
  whep: ServerInfo | null;
  posterUrl: string;
}
type ServerName = 'hls' | 'whep';

/** The self-defining CDN file, beside the built demo in dist/. */
const CDN_FILE = './live-player.js';

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
/** `primary #2 (hls)`: an endpoint as the log names it. */
const endpointName = (source: SourceChangeDetail['source']) =>
  source ? `${source.stream} #${source.index + 1} (${source.type})` : 'nothing';
player.addEventListener('sourcechange', (event) => {
  const { source } = (event as CustomEvent<SourceChangeDetail>).detail;
  if (source) addLogLine(`on screen: ${endpointName(source)}`);
});
player.addEventListener('failover', (event) => {
  const { fromSource, toSource, freezeMs, detectedAt, firstFrameAt } = (event as CustomEvent<FailoverDetail>).detail;
  // A source warmed in its hidden video may have its first frame before the decision: then
  // the picture changes at the decision itself.
  const onScreenAfter = Math.max(0, Math.round(firstFrameAt - detectedAt));
  addLogLine(
    `failover ${endpointName(fromSource)} → ${endpointName(toSource)}: picture frozen ${freezeMs} ms, new picture on screen ${onScreenAfter} ms after the decision`,
  );
});
player.addEventListener('error', (event) => {
  const detail = (event as unknown as CustomEvent<{ code: string; message: string }>).detail;
  if (detail?.code) addLogLine(`error ${detail.code}: ${detail.message}`);
});

/** What the test run's origin plugin serves at /__origin.json (the WHEP server is at /__whep.json). */
interface TestRunOrigin {
  controlUrl: string;
  posterUrl: string;
  streams: Record<string, string>;
  edges?: Record<string, Record<string, string>>;
}

/**
 * Where the local servers are: `npm start` serves them all at /__origin.json; the test run
 * (which loads the built demo, dist/index.html) serves the HLS origin there in its own shape
 * and the WHEP server, when it runs, at /__whep.json.
 */
async function findServers(): Promise<DemoServers> {
  const found = (await (await fetch('/__origin.json')).json()) as DemoServers | TestRunOrigin;
  if ('hls' in found) return found;
  const pick = ({ controlUrl, streams, edges }: TestRunOrigin | (ServerInfo & { posterUrl?: string })): ServerInfo => ({
    controlUrl,
    streams: { primary: streams.primary!, fallback: streams.fallback! },
    ...(edges ? { edges: { primary: edges.primary!, fallback: edges.fallback! } } : {}),
  });
  let whep: ServerInfo | null = null;
  try {
    const response = await fetch('/__whep.json');
    if (response.ok) whep = pick(await response.json());
  } catch {
    // No WHEP server: the demo offers HLS only.
  }
  return { hls: pick(found), whep, posterUrl: found.posterUrl };
}

/**
 * The fonts the demo ships (demo.css), loaded before the player starts and the log fills: no
 * text of the page's screenshots is ever laid out in an installed fallback font.
 */
async function loadFonts() {
  const faces = ["400 16px 'Demo DejaVu Sans'", "700 16px 'Demo DejaVu Sans'", "400 13px 'Demo DejaVu Mono'"];
  try {
    await Promise.all(faces.map((face) => document.fonts.load(face)));
  } catch (error) {
    addLogLine(`demo fonts not loaded: ${error}`);
  }
}

async function main() {
  await loadFonts();
  const servers = await findServers();
  const select = document.querySelector<HTMLSelectElement>('#sources')!;
  if (!servers.whep) {
    for (const option of select.options) option.disabled = option.value !== 'hls:hls' && option.value !== 'cdns';
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
      // A CDN fault hits one edge of the stream; the others go on serving it.
      const edge = fieldset.dataset.edge;
      await fetch(`${server.controlUrl}/control/${stream}?${new URLSearchParams({ kind, ...(edge ? { edge } : {}) })}`);
      output.value = kind;
      addLogLine(`${fieldset.dataset.server}${edge ? ` CDN ${edge.toUpperCase()}` : ''}: ${stream} → ${kind}`);
    });
  }

  /**
   * The endpoints of each stream for the picked option: one server each (`hls:whep`), or a
   * ladder: WebRTC first, then HLS on CDN A and CDN B (`ladder`); HLS on both CDNs (`cdns`).
   */
  const sourcesFor = (choice: string): [string, string] | null => {
    const { hls, whep } = servers;
    const cdn = (role: 'primary' | 'fallback', edge: string) => hls.edges?.[role]?.[edge] ?? hls.streams[role];
    if (choice === 'cdns') return [`${cdn('primary', 'a')} ${cdn('primary', 'b')}`, `${cdn('fallback', 'a')} ${cdn('fallback', 'b')}`];
    if (choice === 'ladder') {
      if (!whep) return null;
      return [
        `${whep.streams.primary} ${cdn('primary', 'a')} ${cdn('primary', 'b')}`,
        `${whep.streams.fallback} ${cdn('fallback', 'a')}`,
      ];
    }
    const [primaryServer, fallbackServer] = choice.split(':') as [ServerName, ServerName];
    const primary = servers[primaryServer]?.streams.primary;
    const fallback = servers[fallbackServer]?.streams.fallback;
    return primary && fallback ? [primary, fallback] : null;
  };

  const applySources = () => {
    const chosen = sourcesFor(select.value);
    if (!chosen) return;
    const [primary, fallback] = chosen;
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
  // `npm start` serves the sources; the built demo (dist/index.html) loads the CDN file beside
  // it, as a site would, so the CDN build's chunks stay as they are without the demo.
  if (import.meta.env.DEV) await import('../src/define.js');
  else await import(/* @vite-ignore */ new URL(CDN_FILE, import.meta.url).href);
}

main().catch((error) => addLogLine(`demo could not reach the local servers: ${error}`));
