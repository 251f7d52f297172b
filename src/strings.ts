/**
 * Every text the player shows or announces. English is built in; other languages come from
 * the `strings` property, either flat (one set of texts) or keyed by language
 * (`{ fr: {...}, de: {...} }`), picked by the nearest `lang` attribute, then the page's,
 * then the browser's (`fr-CA` falls back to `fr`). Slots replace the pre-live and stopped
 * messages. Kept out of the core bundle: translations are the page's, not ours.
 */

export interface LivePlayerStrings {
  /** Before the stream has played in this page. */
  prelive: string;
  /** Nothing live any more, after the stream has played in this page: it is interrupted, not "not started". */
  interrupted: string;
  /** The viewer's network is gone (or no server answers at all): shown over the last picture, or instead of the pre-live message. */
  offline: string;
  stopped: string;
  loading: string;
  unmute: string;
  live: string;
  /** Announced (politely) when the backup stream takes over. */
  switchedToBackup: string;
  /** Announced when the main stream is back on screen. */
  backToMain: string;
}

/** Texts for every language at once, or per language tag. */
export type StringsOption = Partial<LivePlayerStrings> | Record<string, Partial<LivePlayerStrings>>;

export const DEFAULT_STRINGS: Readonly<LivePlayerStrings> = Object.freeze({
  prelive: 'The live stream has not started yet',
  interrupted: 'The live stream will be back shortly',
  offline: 'Connection lost. Reconnecting…',
  stopped: 'The live stream has ended',
  loading: 'Loading the live stream',
  unmute: 'Unmute',
  live: 'Live',
  switchedToBackup: 'Switched to backup stream',
  backToMain: 'Back to the main stream',
});

const KEYS = Object.keys(DEFAULT_STRINGS) as (keyof LivePlayerStrings)[];

function isFlat(option: StringsOption): option is Partial<LivePlayerStrings> {
  return KEYS.some((key) => typeof (option as Record<string, unknown>)[key] === 'string');
}

/** The texts for a BCP 47 language tag: the option's (exact tag, then base language), over English. */
export function stringsFor(lang: string | null | undefined, option?: StringsOption | null): LivePlayerStrings {
  if (!option) return DEFAULT_STRINGS;
  let chosen: Partial<LivePlayerStrings> | undefined;
  if (isFlat(option)) chosen = option;
  else {
    const tag = (lang ?? '').toLowerCase();
    const byLang = Object.fromEntries(Object.entries(option).map(([key, value]) => [key.toLowerCase(), value]));
    chosen = byLang[tag] ?? byLang[tag.split('-')[0]!];
  }
  const merged = { ...DEFAULT_STRINGS };
  for (const key of KEYS) {
    const value = chosen?.[key];
    if (typeof value === 'string' && value.trim()) merged[key] = value;
  }
  return merged;
}
