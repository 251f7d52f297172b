// parsePlaylist / hasAdvanced: the minimal HLS reader behind probes and watchers.
import { expect } from '@open-wc/testing';
import {
  hasAdvanced,
  parsePlaylist,
  PlaylistParseError,
  type MediaPlaylistInfo,
  type PlaylistInfo,
} from '../../src/sources/playlist.js';

const BASE = 'https://origin.example.com/live/event/index.m3u8';

const MEDIA = [
  '#EXTM3U',
  '#EXT-X-VERSION:3',
  '#EXT-X-TARGETDURATION:6',
  '#EXT-X-MEDIA-SEQUENCE:42',
  '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z',
  '#EXTINF:6.000,',
  'seg42.ts',
  '#EXTINF:6.000,',
  'seg43.ts',
  '#EXTINF:5.960,',
  'seg44.ts?token=abc',
  '',
].join('\n');

function media(info: PlaylistInfo): MediaPlaylistInfo {
  if (info.type !== 'media') throw new Error(`expected a media playlist, got ${info.type}`);
  return info;
}

function parseError(text: string): PlaylistParseError {
  try {
    parsePlaylist(text, BASE);
  } catch (error) {
    expect(error).to.be.instanceOf(PlaylistParseError);
    return error as PlaylistParseError;
  }
  throw new Error('expected parsePlaylist to throw');
}

describe('parsePlaylist', () => {
  describe('media playlists', () => {
    it('reads target duration, media sequence, segment count and the newest segment', () => {
      expect(parsePlaylist(MEDIA, BASE)).to.deep.equal({
        type: 'media',
        targetDurationMs: 6000,
        mediaSequence: 42,
        segmentCount: 3,
        endList: false,
        lastSegmentUri: 'seg44.ts?token=abc',
      });
    });

    it('sees #EXT-X-ENDLIST', () => {
      expect(media(parsePlaylist(MEDIA + '#EXT-X-ENDLIST\n', BASE)).endList).to.equal(true);
    });

    it('defaults the media sequence to 0 when absent or unreadable', () => {
      const noSeq = MEDIA.replace('#EXT-X-MEDIA-SEQUENCE:42\n', '');
      expect(media(parsePlaylist(noSeq, BASE)).mediaSequence).to.equal(0);
      const badSeq = MEDIA.replace('#EXT-X-MEDIA-SEQUENCE:42', '#EXT-X-MEDIA-SEQUENCE:abc');
      expect(media(parsePlaylist(badSeq, BASE)).mediaSequence).to.equal(0);
    });

    it('accepts a live playlist with no segments yet', () => {
      const info = media(parsePlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n', BASE));
      expect(info.segmentCount).to.equal(0);
      expect(info.lastSegmentUri).to.equal(null);
      expect(info.targetDurationMs).to.equal(2000);
    });

    it('accepts a non-integer target duration (tolerant of sloppy packagers)', () => {
      expect(media(parsePlaylist(MEDIA.replace('TARGETDURATION:6', 'TARGETDURATION:0.5'), BASE)).targetDurationMs).to.equal(500);
    });

    it('ignores tags it does not need and blank or indented lines', () => {
      const text = ['#EXTM3U', '', '  #EXT-X-TARGETDURATION:4  ', '#EXT-X-DISCONTINUITY', '#EXTINF:4,', '  a.ts  ', ''].join('\n');
      const info = media(parsePlaylist(text, BASE));
      expect(info.targetDurationMs).to.equal(4000);
      expect(info.segmentCount).to.equal(1);
      expect(info.lastSegmentUri).to.equal('a.ts');
    });
  });

  describe('master playlists', () => {
    it('lists the variants in order, resolved to absolute URLs', () => {
      const text = [
        '#EXTM3U',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="audio/en.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="aud"',
        'low/index.m3u8',
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="iframes.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720',
        '../hd/index.m3u8?sig=1',
        '#EXT-X-STREAM-INF:BANDWIDTH=6000000',
        'https://cdn.example.net/fhd.m3u8',
        '',
      ].join('\n');
      expect(parsePlaylist(text, BASE)).to.deep.equal({
        type: 'master',
        variants: [
          'https://origin.example.com/live/event/low/index.m3u8',
          'https://origin.example.com/live/hd/index.m3u8?sig=1',
          'https://cdn.example.net/fhd.m3u8',
        ],
      });
    });

    it('does not need a target duration', () => {
      const info = parsePlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n', BASE);
      expect(info.type).to.equal('master');
    });
  });

  describe('errors', () => {
    for (const [name, text] of [
      ['an empty body', ''],
      ['an HTML error page', '<!doctype html><html><body>502 Bad Gateway</body></html>'],
      ['a JSON body', '{"error":"not found"}'],
      ['#EXTM3U not on the first line', '#EXT-X-TARGETDURATION:6\n#EXTM3U\n'],
      ['a misspelt header', '#EXTM3U8\n#EXT-X-TARGETDURATION:6\n'],
    ]) {
      it(`refuses ${name} as not a playlist`, () => {
        expect(parseError(text!).message).to.equal('not an HLS playlist');
      });
    }

    for (const [name, tag] of [
      ['missing', null],
      ['empty', '#EXT-X-TARGETDURATION:'],
      ['not a number', '#EXT-X-TARGETDURATION:six'],
      ['zero', '#EXT-X-TARGETDURATION:0'],
      ['negative', '#EXT-X-TARGETDURATION:-4'],
      ['infinite', '#EXT-X-TARGETDURATION:Infinity'],
    ]) {
      it(`refuses a media playlist whose target duration is ${name}`, () => {
        const text = tag === null ? MEDIA.replace('#EXT-X-TARGETDURATION:6\n', '') : MEDIA.replace('#EXT-X-TARGETDURATION:6', tag!);
        expect(parseError(text).message).to.match(/TARGETDURATION/);
      });
    }
  });

  describe('encodings', () => {
    it('accepts a UTF-8 byte order mark', () => {
      expect(media(parsePlaylist('\uFEFF' + MEDIA, BASE)).mediaSequence).to.equal(42);
    });

    it('accepts CRLF line endings without leaking \\r into values', () => {
      const info = media(parsePlaylist(MEDIA.replace(/\n/g, '\r\n') + '#EXT-X-ENDLIST\r\n', BASE));
      expect(info.targetDurationMs).to.equal(6000);
      expect(info.mediaSequence).to.equal(42);
      expect(info.segmentCount).to.equal(3);
      expect(info.lastSegmentUri).to.equal('seg44.ts?token=abc');
      expect(info.endList).to.equal(true);
    });

    it('resolves CRLF master variants cleanly', () => {
      const info = parsePlaylist('#EXTM3U\r\n#EXT-X-STREAM-INF:BANDWIDTH=1\r\nv1.m3u8\r\n', BASE);
      expect(info).to.deep.equal({ type: 'master', variants: ['https://origin.example.com/live/event/v1.m3u8'] });
    });
  });
});

describe('hasAdvanced', () => {
  const info = (mediaSequence: number, segmentCount: number, lastSegmentUri: string | null): MediaPlaylistInfo => ({
    type: 'media',
    targetDurationMs: 2000,
    mediaSequence,
    segmentCount,
    endList: false,
    lastSegmentUri,
  });

  it('is false for the same playlist', () => {
    expect(hasAdvanced(info(10, 3, 's12.ts'), info(10, 3, 's12.ts'))).to.equal(false);
  });

  it('is true when the window slides (sequence up, same count)', () => {
    expect(hasAdvanced(info(10, 3, 's12.ts'), info(11, 3, 's13.ts'))).to.equal(true);
  });

  it('is true when a segment is appended without sliding (event playlist)', () => {
    expect(hasAdvanced(info(0, 3, 's2.ts'), info(0, 4, 's3.ts'))).to.equal(true);
  });

  it('is true when the end is the same but the newest segment is a different one', () => {
    expect(hasAdvanced(info(10, 3, 's12.ts'), info(10, 3, 'other12.ts'))).to.equal(true);
  });

  it('is false for an older playlist (a lagging CDN edge)', () => {
    expect(hasAdvanced(info(11, 3, 's13.ts'), info(10, 3, 's12.ts'))).to.equal(false);
  });

  it('works on parsed playlists', () => {
    const before = media(parsePlaylist(MEDIA, BASE));
    const after = media(parsePlaylist(MEDIA.replace('SEQUENCE:42', 'SEQUENCE:43').replace('seg44.ts?token=abc', 'seg45.ts'), BASE));
    expect(hasAdvanced(before, after)).to.equal(true);
    expect(hasAdvanced(after, before)).to.equal(false);
  });
});
