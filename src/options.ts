/**
 * Every option of <live-player> in one table: its property, its attribute (null: a property
 * only, like a token), its kind, its default and whether a change restarts the player. The
 * restart list, the controller's host type and the embed page's allow-list are derived from
 * it. The element declares its Lit properties with decorators, since the manifest
 * (custom-elements.json) links attribute and property from them; a unit test checks that they
 * match this table.
 */
import type { ListValue } from './config.js';
import { Attributes } from './constants.js';
import type { HealthThresholds } from './policy/thresholds.js';
import type { StringsOption } from './strings.js';

/** A bearer token for every WHEP endpoint of a stream, or one per entry of its list. */
export type TokenOption = string | readonly (string | null | undefined)[] | null;

/** The value of each option, as a property holds it. */
export interface OptionValues {
  primary: ListValue;
  fallback: ListValue;
  primaryType: ListValue;
  fallbackType: ListValue;
  primaryStatus: string | null;
  poster: string | null;
  muted: boolean;
  controls: boolean;
  preferPrimary: boolean;
  standby: string | null;
  thresholds: Partial<HealthThresholds> | null;
  primaryToken: TokenOption;
  fallbackToken: TokenOption;
  strings: StringsOption | null;
}

export type OptionName = keyof OptionValues;

interface OptionSpec {
  /** The attribute, or null for a property-only option (objects, and tokens: never in the DOM). */
  attribute: string | null;
  /** `list`: a URL or type list (space-separated as an attribute, an array as a property). */
  kind: 'list' | 'string' | 'boolean' | 'object';
  default: null | false;
  /** A change starts the player over at prelive; other options apply at once or from the next start. */
  restartsPlayer: boolean;
  /** Reflected back to the attribute (the element's own changes show in the DOM). */
  reflect?: boolean;
}

export const OPTIONS = {
  primary: { attribute: Attributes.PRIMARY, kind: 'list', default: null, restartsPlayer: true },
  fallback: { attribute: Attributes.FALLBACK, kind: 'list', default: null, restartsPlayer: true },
  primaryType: { attribute: Attributes.PRIMARY_TYPE, kind: 'list', default: null, restartsPlayer: true },
  fallbackType: { attribute: Attributes.FALLBACK_TYPE, kind: 'list', default: null, restartsPlayer: true },
  primaryStatus: { attribute: Attributes.PRIMARY_STATUS, kind: 'string', default: null, restartsPlayer: true },
  poster: { attribute: Attributes.POSTER, kind: 'string', default: null, restartsPlayer: false },
  muted: { attribute: Attributes.MUTED, kind: 'boolean', default: false, restartsPlayer: false, reflect: true },
  controls: { attribute: Attributes.CONTROLS, kind: 'boolean', default: false, restartsPlayer: false, reflect: true },
  preferPrimary: { attribute: Attributes.PREFER_PRIMARY, kind: 'boolean', default: false, restartsPlayer: true },
  standby: { attribute: Attributes.STANDBY, kind: 'string', default: null, restartsPlayer: true },
  // Property only, applied from the next start (a change of source or reload()).
  thresholds: { attribute: null, kind: 'object', default: null, restartsPlayer: false },
  primaryToken: { attribute: null, kind: 'object', default: null, restartsPlayer: false },
  fallbackToken: { attribute: null, kind: 'object', default: null, restartsPlayer: false },
  strings: { attribute: null, kind: 'object', default: null, restartsPlayer: false },
} as const satisfies Record<OptionName, OptionSpec>;

const names = Object.keys(OPTIONS) as OptionName[];

/** The options whose change starts the player over. */
export const RESTARTING_OPTIONS: readonly OptionName[] = names.filter((name) => OPTIONS[name].restartsPlayer);

/** The options that are attributes, with their attribute and kind (the embed page's allow-list). */
export const ATTRIBUTE_OPTIONS = names.flatMap((name) => {
  const { attribute, kind } = OPTIONS[name];
  return attribute ? [{ name, attribute, kind }] : [];
});
