/**
 * Which engine plays a source, and how it is loaded. Engines and the libraries they drive
 * are dynamic imports, so a page downloads a protocol's code only when it plays that
 * protocol, and hls.js only when an HLS source is actually played through MediaSource.
 */
import type { SourceDescriptor } from '../machine/types.js';
import type { EngineLoader } from './engine.js';

const HLS_MIME = 'application/vnd.apple.mpegurl';

function hasMediaSource(): boolean {
  return typeof globalThis.MediaSource !== 'undefined' || 'ManagedMediaSource' in globalThis;
}

export const hlsJsLoader: EngineLoader = {
  name: 'hls',
  canPlay: (source) => source.kind === 'hls' && hasMediaSource(),
  load: async () => {
    const [{ createHlsEngine }, { default: Hls }] = await Promise.all([import('./hls-engine.js'), import('hls.js')]);
    return createHlsEngine(Hls);
  },
};

export const nativeHlsLoader: EngineLoader = {
  name: 'native-hls',
  canPlay: (source, video) => source.kind === 'hls' && video.canPlayType(HLS_MIME) !== '',
  load: async () => (await import('./native-hls-engine.js')).createNativeHlsEngine,
};

export const whepLoader: EngineLoader = {
  name: 'whep',
  canPlay: (source) => source.kind === 'whep' && typeof globalThis.RTCPeerConnection !== 'undefined',
  load: async () => (await import('./whep-engine.js')).createWhepEngine,
};

/** In order of preference: hls.js where MediaSource exists, else the browser's own HLS; WHEP. */
export const ENGINE_LOADERS: readonly EngineLoader[] = [hlsJsLoader, nativeHlsLoader, whepLoader];

export function loaderFor(source: SourceDescriptor, video: HTMLVideoElement): EngineLoader | null {
  return ENGINE_LOADERS.find((loader) => loader.canPlay(source, video)) ?? null;
}
