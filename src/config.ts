/**
 * Turns the element's attributes into the two ladders of endpoints, or into one clear error.
 * Policy: `primary` and `fallback` are ordered, space-separated lists of endpoints (as token
 * lists are), or arrays when set as properties; one URL is a one-step ladder. Only absolute
 * http(s) URLs (relative ones resolve against the page) are played; anything else is refused
 * before a single request is made. A URL listed twice in a ladder, or a fallback endpoint that
 * is also a primary endpoint (it would share the primary's fate), is reported and dropped.
 */
import { ErrorCodes, WarningCodes, type ErrorCode, type WarningCode } from './constants.js';
import type { SourceDescriptor, SourceRole } from './machine/types.js';

export type SourceType = 'hls' | 'whep';

/** A list option as an attribute gives it (space-separated) or as a property may (an array). */
export type ListValue = string | readonly string[] | null | undefined;

export interface SourceAttributes {
  primary: ListValue;
  fallback: ListValue;
  primaryType?: ListValue;
  fallbackType?: ListValue;
  /** Status endpoint of the primary stream's WHEP endpoints. */
  primaryStatus?: string | null;
}

export interface ConfigError {
  code: ErrorCode;
  message: string;
  /** Which attribute is at fault. */
  source: SourceRole;
}

/** Playable, but not as configured. */
export interface ConfigWarning {
  code: WarningCode;
  message: string;
  source: SourceRole;
}

export type ResolvedConfig =
  | { ok: true; primary: SourceDescriptor[]; fallback: SourceDescriptor[]; warnings: ConfigWarning[] }
  | { ok: false; error: ConfigError };

const SOURCE_TYPES: readonly SourceType[] = ['hls', 'whep'];

/** Longest ladder per stream: each endpoint gets a <video> of its own. */
export const MAX_ENDPOINTS = 8;

/** The items of a list option, trimmed, empty ones dropped. */
export function listOf(value: ListValue): string[] {
  if (value === null || value === undefined) return [];
  const items = typeof value === 'string' ? value.split(/\s+/) : [...value].map((item) => String(item ?? '').trim());
  return items.filter((item) => item !== '');
}

/** `.m3u8` is HLS; anything else is WebRTC over WHEP unless the type says otherwise (`auto`: from the URL). */
export function sourceTypeOf(url: URL, explicit?: string | null): SourceType | null {
  const wanted = explicit?.trim().toLowerCase();
  if (wanted && wanted !== 'auto') return (SOURCE_TYPES as readonly string[]).includes(wanted) ? (wanted as SourceType) : null;
  return url.pathname.toLowerCase().endsWith('.m3u8') ? 'hls' : 'whep';
}

/** An absolute http(s) URL, or the error that names what is wrong with it. */
function httpUrl(role: SourceRole, what: string, value: string, baseUrl: string): URL | ConfigError {
  let url: URL;
  try {
    url = new URL(value.trim(), baseUrl);
  } catch {
    return { code: ErrorCodes.INVALID_URL, source: role, message: `The ${what} cannot be parsed.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      code: ErrorCodes.UNSUPPORTED_SCHEME,
      source: role,
      message: `The ${what} must use http or https, not "${url.protocol.replace(/:$/, '')}".`,
    };
  }
  return url;
}

const isError = <T extends object>(value: T | ConfigError): value is ConfigError => 'code' in value;

/** One stream's ladder: every URL with its type (one type for all, one per URL, or none). */
function resolveLadder(
  role: SourceRole,
  urls: string[],
  typesValue: ListValue,
  baseUrl: string,
  warnings: ConfigWarning[],
): SourceDescriptor[] | ConfigError {
  if (urls.length > MAX_ENDPOINTS) {
    return { code: ErrorCodes.TOO_MANY_ENDPOINTS, source: role, message: `The ${role} lists more than ${MAX_ENDPOINTS} endpoints.` };
  }
  const types = listOf(typesValue);
  if (types.length > 1 && types.length !== urls.length) {
    return {
      code: ErrorCodes.UNSUPPORTED_SOURCE_TYPE,
      source: role,
      message: `The ${role}-type lists ${types.length} types for ${urls.length} endpoints (give one type, or one per endpoint).`,
    };
  }
  const ladder: SourceDescriptor[] = [];
  for (const [position, value] of urls.entries()) {
    const what = urls.length > 1 ? `${role} URL #${position + 1}` : `${role} URL`;
    const url = httpUrl(role, what, value, baseUrl);
    if (isError(url)) return url;
    const kind = sourceTypeOf(url, types.length > 1 ? types[position] : types[0]);
    if (!kind) {
      return { code: ErrorCodes.UNSUPPORTED_SOURCE_TYPE, source: role, message: `The ${role}-type must be "hls", "whep" or "auto".` };
    }
    if (ladder.some((endpoint) => endpoint.url === url.href)) {
      warnings.push({
        code: WarningCodes.DUPLICATE_ENDPOINT,
        source: role,
        message: `The ${role} lists the same URL twice; the second is ignored.`,
      });
      continue;
    }
    ladder.push({ url: url.href, kind });
  }
  return ladder;
}

export function resolveConfig(attrs: SourceAttributes, baseUrl: string): ResolvedConfig {
  const warnings: ConfigWarning[] = [];
  const primaryUrls = listOf(attrs.primary);
  if (!primaryUrls.length) {
    return {
      ok: false,
      error: { code: ErrorCodes.MISSING_PRIMARY, source: 'primary', message: 'No primary stream is set.' },
    };
  }
  const primary = resolveLadder('primary', primaryUrls, attrs.primaryType, baseUrl, warnings);
  if (isError(primary)) return { ok: false, error: primary };
  if (attrs.primaryStatus?.trim()) {
    const statusUrl = httpUrl('primary', 'primary-status URL', attrs.primaryStatus, baseUrl);
    if (isError(statusUrl)) return { ok: false, error: statusUrl };
    // The status is the stream's: every WebRTC endpoint of the primary can ask it.
    for (const endpoint of primary) if (endpoint.kind === 'whep') endpoint.statusUrl = statusUrl.href;
  }

  const candidates = resolveLadder('fallback', listOf(attrs.fallback), attrs.fallbackType, baseUrl, warnings);
  if (isError(candidates)) return { ok: false, error: candidates };
  const fallback = candidates.filter((endpoint) => !primary.some((p) => p.url === endpoint.url));
  if (fallback.length < candidates.length) {
    warnings.push({
      code: WarningCodes.FALLBACK_SAME_AS_PRIMARY,
      source: 'fallback',
      message: fallback.length
        ? 'A fallback endpoint is also a primary endpoint; it is ignored.'
        : 'The fallback is the same URL as the primary; it is ignored.',
    });
  }
  return { ok: true, primary, fallback, warnings };
}
