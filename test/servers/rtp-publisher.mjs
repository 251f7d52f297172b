// RTP publisher for the WHEP test server: one ffmpeg process that renders a solid-colour
// 320x180 30 fps picture (a small clock label bottom-left, the centre stays solid), encodes
// it as VP8 (libvpx realtime, 1 s GOP, low bitrate) and sends RTP to a UDP port on loopback.
// Video only. Policy: the process is the "publisher"; killing it is how a publisher goes
// away, so stop() is a SIGKILL (immediate, like a crash) and resolves once the process exited.
// Every process carries a caller-chosen tag in its arguments, so a test can `pgrep -f` it.
// Where util-linux's setpriv exists, ffmpeg is started with a parent-death signal, so a
// publisher never outlives a Node process that was killed before it could close() the server.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { COLOURS, FFMPEG, FONT } from './make-media.mjs';

const SETPRIV = '/usr/bin/setpriv';
// Colour: VP8 over RTP carries no colour-space tag, and Chromium's WebRTC path converts VP8
// with BT.601 (unlike make-media's H.264-in-MSE, where BT.709 is right). Measured centre
// pixel for 0xD01010: BT.709 matrix -> rgb(189,0,17); lavfi's own BT.601 yuv420p ->
// rgb(207,16,17). So the colour source renders straight to yuv420p, BT.601, limited range.
const PIXELS = 'format=yuv420p';

/** RTP payload type ffmpeg writes; the WHEP server rewrites it to the negotiated one. */
export const PUBLISHER_PAYLOAD_TYPE = 96;

/**
 * @typedef {object} PublisherOptions
 * @property {string} colour     a name from make-media's COLOURS ('red', 'blue', 'green') or '0xRRGGBB'
 * @property {string} label      drawn bottom-left, before the wall-clock time
 * @property {number} port       UDP port to send RTP to
 * @property {string} [host]     default '127.0.0.1'
 * @property {string} tag        unique marker put in the command line (for pgrep -f)
 * @property {number} [bitrate]  kbit/s, default 300
 *
 * @typedef {object} Publisher
 * @property {number | undefined} pid
 * @property {Promise<{ code: number | null, signal: string | null, stderr: string }>} exited
 * @property {() => Promise<void>} stop   SIGKILL, resolves once the process is gone
 */

/**
 * ffmpeg arguments for one publisher.
 * @param {PublisherOptions} o
 * @returns {string[]}
 */
export function publisherArgs({ colour, label, port, host = '127.0.0.1', tag, bitrate = 300 }) {
  const hex = /** @type {Record<string, string>} */ (COLOURS)[colour] ?? colour;
  if (!/^0x[0-9a-f]{6}$/i.test(hex)) throw new Error(`unknown colour '${colour}'`);
  const text = `${label} %{localtime\\:%X}`;
  const drawtext = `drawtext=fontfile=${FONT}:text='${text}':fontsize=12:fontcolor=white:x=6:y=h-th-6`;
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `color=c=${hex}:s=320x180:r=30`,
    '-vf',
    `${drawtext},${PIXELS}`,
    '-an',
    '-c:v',
    'libvpx',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-threads',
    '1',
    '-g',
    '30',
    '-keyint_min',
    '30',
    '-auto-alt-ref',
    '0',
    '-lag-in-frames',
    '0',
    '-b:v',
    `${bitrate}k`,
    '-maxrate',
    `${bitrate}k`,
    '-bufsize',
    `${bitrate}k`,
    '-colorspace',
    'smpte170m',
    '-color_primaries',
    'smpte170m',
    '-color_trc',
    'smpte170m',
    '-color_range',
    'tv',
    '-metadata',
    `comment=${tag}`,
    '-f',
    'rtp',
    '-payload_type',
    String(PUBLISHER_PAYLOAD_TYPE),
    `rtp://${host}:${port}?pkt_size=1200`,
  ];
}

/**
 * Starts one publisher process.
 * @param {PublisherOptions} options
 * @returns {Publisher}
 */
export function startPublisher(options) {
  const args = publisherArgs(options);
  // setpriv execs ffmpeg in place (same pid); SIGKILL reaches it if this process dies.
  const child = existsSync(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', FFMPEG, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  /** @type {Publisher['exited']} */
  const exited = new Promise((resolveExit) => {
    child.once('error', (err) => resolveExit({ code: null, signal: null, stderr: `${stderr}${err.message}` }));
    child.once('exit', (code, signal) => resolveExit({ code, signal, stderr }));
  });
  return {
    pid: child.pid,
    exited,
    async stop() {
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL');
      await exited;
    },
  };
}
