// Generates the looping test media with ffmpeg: for each colour an 8 s fMP4 HLS loop
// (init.mp4 + seg-0..7.m4s, 1.000 s segments, H.264 baseline + AAC-LC) in test/media/<colour>/,
// a meta.json describing it for the live origin, and test/media/poster.png.
// The output is committed, so only a regeneration (`--force`) or a fresh clone with missing
// files needs ffmpeg. Also exports the small MP4 box reader the origin uses to rewrite `tfdt`.
//
//   node test/servers/make-media.mjs           generate only what is missing
//   node test/servers/make-media.mjs --force   regenerate everything

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Directory holding the generated media (test/media). */
export const MEDIA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../media');

/** @typedef {'red' | 'blue' | 'green'} Colour */

/** Solid colours of the test streams; tests tell streams apart by the centre pixels. */
export const COLOURS = /** @type {const} */ ({ red: '0xD01010', blue: '0x1010D0', green: '0x10D010' });

/** The ffmpeg that makes every test picture (the media here, the WHEP publishers' RTP). */
export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
/** The font of the labels drawn on the pictures. */
export const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const WIDTH = 320;
const HEIGHT = 180;
const FPS = 30;
const SEGMENT_SECONDS = 1;
const SEGMENT_COUNT = 8;
const SAMPLE_RATE = 48000;
const AAC_FRAME = 1024;
// Convert with the BT.709 matrix and tag the stream so: Chromium decodes untagged SD video as
// BT.709 too, and the default BT.601 conversion made red 0xD01010 come back as rgb(224,35,17).
const BT709 = 'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p';

/**
 * @typedef {object} TrackMeta
 * @property {number} id            track_ID (tkhd / tfhd)
 * @property {'video' | 'audio'} type
 * @property {number} timescale     mdhd timescale; tfdt values are in this unit
 * @property {number} loopDuration  duration of the whole loop in `timescale` units
 *
 * @typedef {object} SegmentMeta
 * @property {string} file
 * @property {number} bytes
 * @property {number} duration      seconds (video track)
 * @property {Record<string, { baseMediaDecodeTime: number, duration: number, samples: number }>} tracks  by track id
 *
 * @typedef {object} MediaMeta
 * @property {string} colour
 * @property {string} rgb
 * @property {number} width
 * @property {number} height
 * @property {number} fps
 * @property {string} codecs         RFC 6381 string, e.g. 'avc1.42c01e,mp4a.40.2'
 * @property {boolean} audio
 * @property {number} segmentCount
 * @property {number} segmentDuration  seconds
 * @property {number} loopDuration     seconds
 * @property {string} init
 * @property {TrackMeta[]} tracks
 * @property {SegmentMeta[]} segments
 */

// ---------------------------------------------------------------------------------------------
// MP4 box reading (just enough for fragmented MP4 written by ffmpeg)

/** Boxes whose payload is a list of child boxes. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'moof', 'traf', 'mvex', 'edts', 'dinf']);

/**
 * @typedef {object} Box
 * @property {string} type
 * @property {number} start   offset of the box header in the buffer
 * @property {number} body    offset of the payload (after size/type/largesize)
 * @property {number} end     offset just past the box
 * @property {Box[]} children
 */

/**
 * Reads the boxes in buf[start, end), descending into the usual containers.
 * @param {Buffer} buf
 * @param {number} [start]
 * @param {number} [end]
 * @returns {Box[]}
 */
export function readBoxes(buf, start = 0, end = buf.length) {
  /** @type {Box[]} */
  const boxes = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    let body = offset + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(offset + 8));
      body += 8;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < 8 || offset + size > end) throw new Error(`bad MP4 box '${type}' at ${offset}`);
    const children = CONTAINERS.has(type) ? readBoxes(buf, body, offset + size) : [];
    boxes.push({ type, start: offset, body, end: offset + size, children });
    offset += size;
  }
  return boxes;
}

/**
 * Depth-first list of every box with the given type.
 * @param {Box[]} boxes
 * @param {string} type
 * @returns {Box[]}
 */
export function findBoxes(boxes, type) {
  return boxes.flatMap((box) => [...(box.type === type ? [box] : []), ...findBoxes(box.children, type)]);
}

/**
 * Reads a 32- or 64-bit unsigned field as a Number (values here stay far below 2^53).
 * @param {Buffer} buf
 * @param {number} offset
 * @param {boolean} wide
 */
function readUint(buf, offset, wide) {
  return wide ? Number(buf.readBigUInt64BE(offset)) : buf.readUInt32BE(offset);
}

/**
 * Track ids, timescales, default sample durations and the codecs string from an init segment.
 * @param {Buffer} init
 */
export function parseInit(init) {
  const boxes = readBoxes(init);
  /** @type {Map<number, number>} */
  const trexDefaults = new Map(findBoxes(boxes, 'trex').map((b) => [init.readUInt32BE(b.body + 4), init.readUInt32BE(b.body + 12)]));
  const tracks = findBoxes(boxes, 'trak').map((trak) => {
    const [tkhd] = findBoxes([trak], 'tkhd');
    const [mdhd] = findBoxes([trak], 'mdhd');
    const [hdlr] = findBoxes([trak], 'hdlr');
    const id = init.readUInt32BE(tkhd.body + (init[tkhd.body] === 1 ? 20 : 12));
    const timescale = init.readUInt32BE(mdhd.body + (init[mdhd.body] === 1 ? 20 : 12));
    const handler = init.toString('latin1', hdlr.body + 8, hdlr.body + 12);
    const type = /** @type {'video' | 'audio'} */ (handler === 'vide' ? 'video' : 'audio');
    return { id, type, timescale, defaultSampleDuration: trexDefaults.get(id) ?? 0 };
  });
  return { tracks, codecs: codecsOf(init, tracks) };
}

/**
 * RFC 6381 codecs string: avc1 profile/constraints/level from avcC; the audio is AAC-LC by
 * construction (ffmpeg's native aac encoder defaults to the LC profile).
 * @param {Buffer} init
 * @param {{ type: string }[]} tracks
 */
function codecsOf(init, tracks) {
  const avcC = init.indexOf('avcC', 0, 'latin1');
  const video = avcC < 0 ? 'avc1.42e01e' : `avc1.${init.subarray(avcC + 5, avcC + 8).toString('hex')}`;
  return tracks.some((t) => t.type === 'audio') ? `${video},mp4a.40.2` : video;
}

/**
 * @typedef {object} TfdtField  where a fragment stores a track's baseMediaDecodeTime
 * @property {number} trackId
 * @property {number} offset      offset of the value in the segment buffer
 * @property {boolean} wide       version 1 (64-bit) or 0 (32-bit)
 * @property {number} value       the value as stored
 * @property {number} duration    summed sample durations of this track in the fragment
 * @property {number} samples
 *
 * @typedef {object} FragmentLayout
 * @property {TfdtField[]} tfdt
 * @property {number[]} mfhd      offsets of mfhd sequence_number fields
 * @property {{ offset: number, wide: boolean, value: number, timescale: number }[]} sidx
 *           offsets of sidx earliest_presentation_time fields (in the sidx's own timescale)
 */

/**
 * Finds every field the origin has to rewrite to move a fragment in time.
 * @param {Buffer} seg
 * @param {Map<number, number>} defaultDurations  trex default sample duration per track id
 * @returns {FragmentLayout}
 */
export function parseFragment(seg, defaultDurations) {
  const boxes = readBoxes(seg);
  const tfdt = findBoxes(boxes, 'traf').map((traf) => {
    const [tfhd] = findBoxes([traf], 'tfhd');
    const [box] = findBoxes([traf], 'tfdt');
    if (!tfhd || !box) throw new Error('fragment without tfhd/tfdt');
    const trackId = seg.readUInt32BE(tfhd.body + 4);
    const wide = seg[box.body] === 1;
    const { duration, samples } = trafDuration(seg, traf, tfhd, defaultDurations.get(trackId) ?? 0);
    return { trackId, offset: box.body + 4, wide, value: readUint(seg, box.body + 4, wide), duration, samples };
  });
  const mfhd = findBoxes(boxes, 'mfhd').map((b) => b.body + 4);
  const sidx = findBoxes(boxes, 'sidx').map((b) => {
    const wide = seg[b.body] === 1;
    return { offset: b.body + 12, wide, value: readUint(seg, b.body + 12, wide), timescale: seg.readUInt32BE(b.body + 8) };
  });
  return { tfdt, mfhd, sidx };
}

/**
 * Sums the sample durations of one traf (trun per-sample durations, else the tfhd default,
 * else the trex default).
 * @param {Buffer} seg
 * @param {Box} traf
 * @param {Box} tfhd
 * @param {number} trexDefault
 */
function trafDuration(seg, traf, tfhd, trexDefault) {
  const tfhdFlags = seg.readUInt32BE(tfhd.body) & 0xffffff;
  let field = tfhd.body + 8;
  if (tfhdFlags & 0x1) field += 8; // base_data_offset
  if (tfhdFlags & 0x2) field += 4; // sample_description_index
  const defaultDuration = tfhdFlags & 0x8 ? seg.readUInt32BE(field) : trexDefault;
  let duration = 0;
  let samples = 0;
  for (const trun of findBoxes([traf], 'trun')) {
    const flags = seg.readUInt32BE(trun.body) & 0xffffff;
    const count = seg.readUInt32BE(trun.body + 4);
    let p = trun.body + 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
    const stride = [0x100, 0x200, 0x400, 0x800].filter((bit) => flags & bit).length * 4;
    for (let i = 0; i < count; i++, p += stride) duration += flags & 0x100 ? seg.readUInt32BE(p) : defaultDuration;
    samples += count;
  }
  return { duration, samples };
}

// ---------------------------------------------------------------------------------------------
// Generation

/**
 * Runs ffmpeg, turning a missing binary into a readable error.
 * @param {string[]} args
 */
async function ffmpeg(args) {
  try {
    await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException & { stderr?: string }} */ (err);
    if (e.code === 'ENOENT') throw new Error(`ffmpeg not found (${FFMPEG}); install it or set FFMPEG_PATH`, { cause: err });
    throw new Error(`ffmpeg failed: ${e.stderr || e.message}`, { cause: err });
  }
}

/**
 * ffmpeg arguments for one colour's HLS loop, written into `dir`.
 * Why the details: GOP = segment = 1 s with scene-cut off so every segment starts with a
 * keyframe (no B-frames in baseline, so no composition offsets); the sine is trimmed by one AAC frame because the encoder prepends 1024 priming
 * samples, which makes the audio exactly 375 frames = 8.000 s, the same length as the video.
 * @param {Colour} colour
 * @param {string} dir
 */
function hlsArgs(colour, dir) {
  const seconds = SEGMENT_COUNT * SEGMENT_SECONDS;
  const label = `drawtext=fontfile=${FONT}:text='${colour} %{eif\\:t\\:d}':fontsize=14:fontcolor=white:x=6:y=h-th-6`;
  return [
    '-f',
    'lavfi',
    '-i',
    `color=c=${COLOURS[colour]}:s=${WIDTH}x${HEIGHT}:r=${FPS}:d=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=${SAMPLE_RATE}:duration=${seconds}`,
    '-filter_complex',
    `[0:v]${label},${BT709}[v];[1:a]atrim=end_sample=${seconds * SAMPLE_RATE - AAC_FRAME},aformat=channel_layouts=mono[a]`,
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-level',
    '3.0',
    '-pix_fmt',
    'yuv420p',
    '-crf',
    '23',
    '-colorspace',
    'bt709',
    '-color_primaries',
    'bt709',
    '-color_trc',
    'bt709',
    '-color_range',
    'tv',
    '-g',
    String(FPS * SEGMENT_SECONDS),
    '-keyint_min',
    String(FPS * SEGMENT_SECONDS),
    '-sc_threshold',
    '0',
    '-x264-params',
    'scenecut=0',
    '-c:a',
    'aac',
    '-b:a',
    '32k',
    '-ar',
    String(SAMPLE_RATE),
    '-ac',
    '1',
    '-f',
    'hls',
    '-hls_time',
    String(SEGMENT_SECONDS),
    '-hls_segment_type',
    'fmp4',
    '-hls_playlist_type',
    'vod',
    '-hls_list_size',
    '0',
    '-hls_flags',
    'independent_segments',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    join(dir, 'seg-%d.m4s'),
    join(dir, 'source.m3u8'),
  ];
}

/**
 * Builds meta.json for a generated loop and checks the loop is exact on every track
 * (otherwise the origin's timestamp rewrite would leave gaps or overlaps at the seam).
 * @param {Colour} colour
 * @param {string} dir
 * @returns {Promise<MediaMeta>}
 */
async function describe(colour, dir) {
  const { tracks, codecs } = parseInit(await readFile(join(dir, 'init.mp4')));
  const defaults = new Map(tracks.map((t) => [t.id, t.defaultSampleDuration]));
  /** @type {SegmentMeta[]} */
  const segments = [];
  for (let i = 0; i < SEGMENT_COUNT; i++) {
    const file = `seg-${i}.m4s`;
    const buf = await readFile(join(dir, file));
    const { tfdt } = parseFragment(buf, defaults);
    const video = tfdt.find((f) => f.trackId === tracks.find((t) => t.type === 'video')?.id);
    const videoTs = tracks.find((t) => t.id === video?.trackId)?.timescale ?? 1;
    segments.push({
      file,
      bytes: buf.length,
      duration: video ? video.duration / videoTs : SEGMENT_SECONDS,
      tracks: Object.fromEntries(
        tfdt.map((f) => [String(f.trackId), { baseMediaDecodeTime: f.value, duration: f.duration, samples: f.samples }]),
      ),
    });
  }
  const trackMeta = tracks.map(({ id, type, timescale }) => {
    const loopDuration = segments.reduce((sum, s) => sum + (s.tracks[id]?.duration ?? 0), 0);
    if (loopDuration !== SEGMENT_COUNT * SEGMENT_SECONDS * timescale) {
      throw new Error(`${colour}: ${type} loop is ${loopDuration}/${timescale}, not ${SEGMENT_COUNT * SEGMENT_SECONDS} s`);
    }
    return { id, type, timescale, loopDuration };
  });
  return {
    colour,
    rgb: COLOURS[colour],
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    codecs,
    audio: tracks.some((t) => t.type === 'audio'),
    segmentCount: SEGMENT_COUNT,
    segmentDuration: SEGMENT_SECONDS,
    loopDuration: SEGMENT_COUNT * SEGMENT_SECONDS,
    init: 'init.mp4',
    tracks: trackMeta,
    segments,
  };
}

/**
 * Generates one colour into a scratch directory and swaps it in, so an interrupted run never
 * leaves a half-written stream behind.
 * @param {Colour} colour
 */
async function makeStream(colour) {
  const dir = join(MEDIA_DIR, colour);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await ffmpeg(hlsArgs(colour, tmp));
    await rm(join(tmp, 'source.m3u8')); // the origin writes its own live playlists
    const meta = await describe(colour, tmp);
    await writeFile(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Writes poster.png: solid grey with "POSTER" bottom-left, the centre left untouched. */
async function makePoster() {
  const out = join(MEDIA_DIR, 'poster.png');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `color=c=0x808080:s=${WIDTH}x${HEIGHT}`,
    '-vf',
    `drawtext=fontfile=${FONT}:text='POSTER':fontsize=14:fontcolor=white:x=6:y=h-th-6`,
    '-frames:v',
    '1',
    '-pix_fmt',
    'rgb24',
    out,
  ]);
}

/**
 * True when a colour's directory holds meta.json and every file it lists.
 * @param {Colour} colour
 */
async function streamComplete(colour) {
  const dir = join(MEDIA_DIR, colour);
  try {
    /** @type {MediaMeta} */
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
    return [meta.init, ...meta.segments.map((s) => s.file)].every((f) => existsSync(join(dir, f)));
  } catch {
    return false;
  }
}

/**
 * Generates whatever media is missing (everything with `force`). Returns what was made.
 * @param {{ force?: boolean }} [options]
 * @returns {Promise<string[]>}
 */
export async function ensureMedia({ force = false } = {}) {
  await mkdir(MEDIA_DIR, { recursive: true });
  /** @type {string[]} */
  const made = [];
  for (const colour of /** @type {Colour[]} */ (Object.keys(COLOURS))) {
    if (force || !(await streamComplete(colour))) {
      await makeStream(colour);
      made.push(colour);
    }
  }
  if (force || !existsSync(join(MEDIA_DIR, 'poster.png'))) {
    await makePoster();
    made.push('poster.png');
  }
  return made;
}

/**
 * Reads a colour's meta.json.
 * @param {string} colour
 * @returns {Promise<MediaMeta>}
 */
export async function readMeta(colour) {
  return JSON.parse(await readFile(join(MEDIA_DIR, colour, 'meta.json'), 'utf8'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const made = await ensureMedia({ force: process.argv.includes('--force') });
  console.log(made.length ? `generated in ${MEDIA_DIR}: ${made.join(', ')}` : `media up to date in ${MEDIA_DIR}`);
}
