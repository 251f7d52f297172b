/**
 * dist/embed.html?primary=…&fallback=…: a hosted player page for an <iframe>. The query string
 * sets the player's attributes (never HTML): the element validates them as it does any
 * attribute, so a `javascript:` or other non-http(s) URL shows the error message, not a script.
 * A ladder is given by repeating a parameter (`?primary=…whep&primary=…m3u8`) or with spaces
 * (`%20`) in one value, as the attribute takes it.
 * The element itself comes from the CDN file beside this page (dist/live-player.js, loaded by
 * embed.html before this script), not bundled in: one copy, cached with every other page's.
 */

import type { LivePlayer } from '../src/live-player.js';

const MAX_LENGTH = 4096;

/**
 * Every option that is an attribute (src/options.ts, as the element exposes it), and nothing else: a list joins its
 * repeated parameters with spaces; a boolean is present (`?muted`, `=1`, `=true`) or absent
 * (`0`, `false`, `no`, `off`).
 */
function playerFromQuery(query: URLSearchParams): HTMLElement {
  // Defined by the CDN file, which embed.html loads first (module scripts run in order).
  const { attributeOptions } = customElements.get('live-player') as typeof LivePlayer;
  const player = document.createElement('live-player');
  for (const { attribute, kind } of attributeOptions) {
    const values = query.getAll(attribute);
    if (!values.length) continue;
    if (kind === 'boolean') {
      if (!/^(0|false|no|off)$/i.test(values[0]!)) player.setAttribute(attribute, '');
      continue;
    }
    const value = (kind === 'list' ? values.join(' ') : values[0]!).trim();
    if (value !== '') player.setAttribute(attribute, value.slice(0, MAX_LENGTH));
  }
  return player;
}

document.body.append(playerFromQuery(new URLSearchParams(location.search)));

export {};
