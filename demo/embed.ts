/**
 * dist/embed.html?primary=…&fallback=…: a hosted player page for an <iframe>. The query string
 * sets the player's attributes (never HTML): the element validates them as it does any
 * attribute, so a `javascript:` or other non-http(s) URL shows the error message, not a script.
 * A ladder is given by repeating a parameter (`?primary=…whep&primary=…m3u8`) or with spaces
 * (`%20`) in one value, as the attribute takes it.
 * The element itself comes from the CDN file beside this page (dist/live-player.js, loaded by
 * embed.html before this script), not bundled in: one copy, cached with every other page's.
 */

/** Attributes that take a value; list attributes join their repeated parameters with spaces. */
const LIST_ATTRIBUTES = ['primary', 'fallback', 'primary-type', 'fallback-type'] as const;
const VALUE_ATTRIBUTES = ['poster', 'primary-status', 'standby'] as const;
/** Boolean attributes: present (`?muted`, `?muted=1`, `?muted=true`) or absent (`0`, `false`, `no`). */
const BOOLEAN_ATTRIBUTES = ['muted', 'controls', 'prefer-primary'] as const;
const MAX_LENGTH = 4096;

function playerFromQuery(query: URLSearchParams): HTMLElement {
  const player = document.createElement('live-player');
  for (const name of LIST_ATTRIBUTES) {
    const value = query.getAll(name).join(' ').trim();
    if (value !== '') player.setAttribute(name, value.slice(0, MAX_LENGTH));
  }
  for (const name of VALUE_ATTRIBUTES) {
    const value = query.get(name);
    if (value !== null && value !== '') player.setAttribute(name, value.slice(0, MAX_LENGTH));
  }
  for (const name of BOOLEAN_ATTRIBUTES) {
    const value = query.get(name);
    if (value !== null && !/^(0|false|no|off)$/i.test(value)) player.setAttribute(name, '');
  }
  return player;
}

document.body.append(playerFromQuery(new URLSearchParams(location.search)));

export {};
