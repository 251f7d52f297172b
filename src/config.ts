/**
 * Turns the element's attributes into source descriptors, or into one clear error.
 * Policy: only absolute http(s) URLs (relative ones resolve against the page) are played;
 * anything else is refused before a single request is made. The same URL as primary and
 * fallback is reported and the fallback ignored (a fallback that shares the primary's fate
 * is no fallback).
 */
import { ErrorCodes, WarningCodes, type ErrorCode, type WarningCode } from './constants.js';
import type { SourceDescriptor } from './machine/types.js';

export type SourceType = 'hls' | 'whep';

export interface SourceAttributes {
  primary: string | null | undefined;
  fallback: string | null | undefined;
  primaryType?: string | null;
  fallbackType?: string | null;
  /** Status endpoint of a WHEP primary. */
  primaryStatus?: string | null;
}

export interface ConfigError {
  code: ErrorCode;
  message: string;
  /** Which attribute is at fault. */
  source: 'primary' | 'fallback';
}

/** Playable, but not as configured. */
export interface ConfigWarning {
  code: WarningCode;
  message: string;
  source: 'primary' | 'fallback';
}

export type ResolvedConfig =
  | { ok: true; primary: SourceDescriptor; fallback: SourceDescriptor | null; warnings: ConfigWarning[] }
  | { ok: false; error: ConfigError };

const SOURCE_TYPES: readonly SourceType[] = ['hls', 'whep'];

/** `.m3u8` is HLS; anything else is WebRTC over WHEP unless the type says otherwise. */
export function sourceTypeOf(url: URL, explicit?: string | null): SourceType | null {
  const wanted = explicit?.trim().toLowerCase();
  if (wanted) return (SOURCE_TYPES as readonly string[]).includes(wanted) ? (wanted as SourceType) : null;
  return url.pathname.toLowerCase().endsWith('.m3u8') ? 'hls' : 'whep';
}

/** An absolute http(s) URL, or the error that names what is wrong with it. */
function httpUrl(role: 'primary' | 'fallback', what: string, value: string, baseUrl: string): URL | ConfigError {
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

function resolveOne(
  role: 'primary' | 'fallback',
  value: string,
  explicitType: string | null | undefined,
  baseUrl: string,
): SourceDescriptor | ConfigError {
  const url = httpUrl(role, `${role} URL`, value, baseUrl);
  if (!(url instanceof URL)) return url;
  const kind = sourceTypeOf(url, explicitType);
  if (!kind) {
    return {
      code: ErrorCodes.UNSUPPORTED_SOURCE_TYPE,
      source: role,
      message: `The ${role}-type must be "hls" or "whep".`,
    };
  }
  return { url: url.href, kind };
}

const isError = (value: SourceDescriptor | ConfigError): value is ConfigError => 'code' in value;

export function resolveConfig(attrs: SourceAttributes, baseUrl: string): ResolvedConfig {
  const warnings: ConfigWarning[] = [];
  if (!attrs.primary?.trim()) {
    return {
      ok: false,
      error: { code: ErrorCodes.MISSING_PRIMARY, source: 'primary', message: 'No primary stream is set.' },
    };
  }
  const primary = resolveOne('primary', attrs.primary, attrs.primaryType, baseUrl);
  if (isError(primary)) return { ok: false, error: primary };
  if (attrs.primaryStatus?.trim()) {
    const statusUrl = httpUrl('primary', 'primary-status URL', attrs.primaryStatus, baseUrl);
    if (!(statusUrl instanceof URL)) return { ok: false, error: statusUrl };
    primary.statusUrl = statusUrl.href;
  }

  let fallback: SourceDescriptor | null = null;
  if (attrs.fallback?.trim()) {
    const resolved = resolveOne('fallback', attrs.fallback, attrs.fallbackType, baseUrl);
    if (isError(resolved)) return { ok: false, error: resolved };
    if (resolved.url === primary.url) {
      warnings.push({
        code: WarningCodes.FALLBACK_SAME_AS_PRIMARY,
        source: 'fallback',
        message: 'The fallback is the same URL as the primary; it is ignored.',
      });
    } else {
      fallback = resolved;
    }
  }
  return { ok: true, primary, fallback, warnings };
}
