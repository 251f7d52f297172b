/**
 * A minimal HLS playlist reader: just what liveness needs (is it a playlist, is it live,
 * where does it end, how long is a segment). Everything else is hls.js's business.
 */

export interface MediaPlaylistInfo {
  type: 'media';
  targetDurationMs: number;
  mediaSequence: number;
  segmentCount: number;
  endList: boolean;
  /** Identifies the newest segment; changes when the playlist advances. */
  lastSegmentUri: string | null;
}

export interface MasterPlaylistInfo {
  type: 'master';
  /** Absolute URLs of the variant streams, in playlist order. */
  variants: string[];
}

export type PlaylistInfo = MediaPlaylistInfo | MasterPlaylistInfo;

export class PlaylistParseError extends Error {}

export function parsePlaylist(text: string, baseUrl: string): PlaylistInfo {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0]?.replace(/^\uFEFF/, '') !== '#EXTM3U') throw new PlaylistParseError('not an HLS playlist');

  const variants: string[] = [];
  let targetDurationS: number | null = null;
  let mediaSequence = 0;
  let segmentCount = 0;
  let endList = false;
  let lastSegmentUri: string | null = null;
  let nextIsVariant = false;

  for (const line of lines.slice(1)) {
    if (!line) continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#EXT-X-STREAM-INF')) nextIsVariant = true;
      else if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDurationS = Number(line.slice(22));
      else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22)) || 0;
      else if (line === '#EXT-X-ENDLIST') endList = true;
      continue;
    }
    if (nextIsVariant) {
      variants.push(new URL(line, baseUrl).href);
      nextIsVariant = false;
    } else {
      segmentCount += 1;
      lastSegmentUri = line;
    }
  }

  if (variants.length) return { type: 'master', variants };
  if (targetDurationS === null || !Number.isFinite(targetDurationS) || targetDurationS <= 0) {
    throw new PlaylistParseError('playlist has no valid #EXT-X-TARGETDURATION');
  }
  return {
    type: 'media',
    targetDurationMs: targetDurationS * 1000,
    mediaSequence,
    segmentCount,
    endList,
    lastSegmentUri,
  };
}

/** True when `next` lists a newer segment than `previous`. */
export function hasAdvanced(previous: MediaPlaylistInfo, next: MediaPlaylistInfo): boolean {
  const previousEnd = previous.mediaSequence + previous.segmentCount;
  const nextEnd = next.mediaSequence + next.segmentCount;
  return nextEnd > previousEnd || (nextEnd === previousEnd && next.lastSegmentUri !== previous.lastSegmentUri);
}

/**
 * True when `next` starts over far behind `previous` (an encoder restarted with its media
 * sequence reset), as opposed to a lagging CDN edge that is only a segment or two behind.
 */
export function hasRestarted(previous: MediaPlaylistInfo, next: MediaPlaylistInfo): boolean {
  return next.mediaSequence + next.segmentCount < previous.mediaSequence;
}
