// What is on screen, from pixels: the one colour rule and pixel averaging of the tests and the
// bench. A sampled colour is one of the test streams' colours, black, the grey poster, or
// "other". Used in the browser (the bench pages per presented video frame, the background
// check's page, the browser tests from their screenshot readings) and in Node (the bench per
// screencast frame, the test run's screenshot commands, the WHEP server's self-test), so every
// side judges "what the viewer sees" alike. Plain JavaScript without imports, so that pages
// load it as it is (the bench serves it at /bench/colour.mjs).
//
// The thresholds are loose on purpose: the same source colour comes back differently through
// H.264 (BT.601 vs BT.709 matrices), VP8 and JPEG/PNG screencast encoding, e.g. red 0xD01010
// arrives as anything from rgb(189,0,17) to rgb(224,35,17).

/** @typedef {'red' | 'blue' | 'green' | 'black' | 'poster' | 'other'} ColourClass */
/** @typedef {{ r: number, g: number, b: number }} Rgb */
/** @typedef {{ x0: number, y0: number, x1: number, y1: number }} Rect  pixels x0 ≤ x < x1, y0 ≤ y < y1 */

/** Stream colours (a viewer watching one of these sees the live stream). */
export const STREAM_COLOURS = /** @type {const} */ (['red', 'blue', 'green']);

/**
 * @param {Rgb} colour
 * @returns {ColourClass}
 */
export function classify({ r, g, b }) {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max < 50) return 'black';
  if (r > 110 && r - Math.max(g, b) > 60) return 'red';
  if (b > 110 && b - Math.max(r, g) > 60) return 'blue';
  if (g > 110 && g - Math.max(r, b) > 60) return 'green';
  // The poster is 0x808080; allow for scaling/encoding drift.
  if (min > 100 && max < 160 && max - min < 25) return 'poster';
  return 'other';
}

/**
 * Mean colour (whole channel values) of a rectangle of an RGBA buffer, clipped to the buffer,
 * reading every `step`-th pixel each way; null when the rectangle holds no pixel.
 * @param {ArrayLike<number>} data  RGBA, row-major
 * @param {number} width
 * @param {number} height
 * @param {Rect} [rect]  default: the whole buffer
 * @param {number} [step]
 * @returns {Rgb | null}
 */
export function meanColour(data, width, height, rect = { x0: 0, y0: 0, x1: width, y1: height }, step = 1) {
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let y = Math.max(0, rect.y0); y < Math.min(height, rect.y1); y += step) {
    for (let x = Math.max(0, rect.x0); x < Math.min(width, rect.x1); x += step) {
      const i = (y * width + x) * 4;
      r += data[i];
      g += data[i + 1];
      b += data[i + 2];
      n += 1;
    }
  }
  return n ? { r: Math.round(r / n), g: Math.round(g / n), b: Math.round(b / n) } : null;
}

/**
 * The middle 40 % of a box each way, where the test pictures carry no label (theirs are in
 * the corners): what a viewer would call the picture's colour.
 * @param {{ x: number, y: number, width: number, height: number }} box
 * @returns {Rect}
 */
export function centreOf({ x, y, width, height }) {
  return {
    x0: Math.floor(x + width * 0.3),
    x1: Math.ceil(x + width * 0.7),
    y0: Math.floor(y + height * 0.3),
    y1: Math.ceil(y + height * 0.7),
  };
}

/**
 * The class of the mean colour of a square patch around (cx, cy) of an RGBA buffer.
 * @param {ArrayLike<number>} data  RGBA, row-major
 * @param {number} width
 * @param {number} height
 * @param {number} [cx]
 * @param {number} [cy]
 * @param {number} [half]  patch half-size in pixels
 * @returns {ColourClass}
 */
export function classifyPatch(data, width, height, cx = width >> 1, cy = height >> 1, half = 3) {
  const mean = meanColour(data, width, height, { x0: cx - half, y0: cy - half, x1: cx + half + 1, y1: cy + half + 1 });
  return mean ? classify(mean) : 'other';
}
