// Classifies a sampled RGB colour as one of the test streams' colours, black, the grey poster,
// or "other". Shared by the bench pages (per presented video frame) and by Node (per
// screencast frame), so both sides judge "what is on screen" by the same rule.
//
// The thresholds are loose on purpose: the same source colour comes back differently through
// H.264 (BT.601 vs BT.709 matrices), VP8 and JPEG/PNG screencast encoding, e.g. red 0xD01010
// arrives as anything from rgb(189,0,17) to rgb(224,35,17).

/** @typedef {'red' | 'blue' | 'green' | 'black' | 'poster' | 'other'} ColourClass */

/** Stream colours (a viewer watching one of these sees the live stream). */
export const STREAM_COLOURS = /** @type {const} */ (['red', 'blue', 'green']);

/**
 * @param {number} r
 * @param {number} g
 * @param {number} b
 * @returns {ColourClass}
 */
export function classify(r, g, b) {
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
 * Mean colour of a square patch around (cx, cy) of an RGBA buffer, then classified.
 * @param {Uint8Array | Uint8ClampedArray} data  RGBA, row-major
 * @param {number} width
 * @param {number} height
 * @param {number} [cx]
 * @param {number} [cy]
 * @param {number} [half]  patch half-size in pixels
 */
export function classifyPatch(data, width, height, cx = width >> 1, cy = height >> 1, half = 3) {
  let r = 0, g = 0, b = 0, n = 0;
  for (let y = Math.max(0, cy - half); y <= Math.min(height - 1, cy + half); y++) {
    for (let x = Math.max(0, cx - half); x <= Math.min(width - 1, cx + half); x++) {
      const i = (y * width + x) * 4;
      r += data[i]; g += data[i + 1]; b += data[i + 2]; n++;
    }
  }
  return classify(r / n, g / n, b / n);
}
