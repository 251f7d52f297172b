/**
 * HLS through the browser's own player, where there is no MediaSource (iOS Safari).
 * Policy: the browser loads and retries as it likes; the engine fails the source on a media
 * error, on a stall (see playback-watchdog.ts), on a frozen playlist, or when two playlist
 * looks in a row fail (its own light poll, one request per target duration). #EXT-X-ENDLIST
 * is a stop. After its first failure or stop it reports nothing more. A playlist that loads
 * but stops advancing is the stream's own failure; the rest are the endpoint's.
 */
import { autoplay } from './autoplay.js';
import type { FailureScope } from '../machine/types.js';
import type { EngineEvent, EngineFactory } from './engine.js';
import { watchPlayback } from './playback-watchdog.js';
import { watchPlaylist } from './playlist-watch.js';

const FAILED_LOOKS_BEFORE_FAILURE = 2;

export const createNativeHlsEngine: EngineFactory = (context) => {
  const { video } = context;
  const watching = new AbortController();
  let settled = false;
  let destroyed = false;

  const settle = (event: EngineEvent & { type: 'SOURCE.FAILED' | 'SOURCE.STOPPED' }) => {
    if (settled || destroyed) return;
    settled = true;
    stopWatching();
    watching.abort();
    context.send(event);
  };
  const fail = (cause: string, scope: FailureScope = 'endpoint') => settle({ type: 'SOURCE.FAILED', cause, scope });

  const onMediaError = () => fail(`media error ${video.error?.code ?? ''}`.trim());
  video.addEventListener('error', onMediaError);

  const stopWatching = watchPlayback({
    video,
    limits: () => context.limits,
    onFirstFrame: () => {
      if (!destroyed && !settled) context.send({ type: 'SOURCE.FIRST_FRAME' });
    },
    onStalled: (cause) => fail(cause),
  });

  let failedLooks = 0;
  void watchPlaylist(
    context.source.url,
    {
      onLive: () => {
        failedLooks = 0;
      },
      onDown: (cause) => {
        failedLooks += 1;
        if (cause === 'playlist not advancing') fail(cause, 'stream');
        else if (failedLooks >= FAILED_LOOKS_BEFORE_FAILURE) fail(cause);
      },
      onEnded: (cause) => settle({ type: 'SOURCE.STOPPED', cause }),
    },
    { thresholds: context.thresholds, signal: watching.signal },
  );

  video.src = context.source.url;
  void autoplay(video, context.onAutoplayMuted, () => !destroyed && !settled);

  return {
    destroy() {
      if (destroyed) return;
      destroyed = true;
      stopWatching();
      watching.abort();
      video.removeEventListener('error', onMediaError);
      video.removeAttribute('src');
      video.load();
    },
  };
};
