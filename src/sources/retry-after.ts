/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date. On its own so WebRTC code
 * can honour it without the HLS fetch helpers.
 */

/** A server asking for more than this is still retried after this long: a live event cannot wait a day. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * `Retry-After` as seconds or an HTTP date, in ms from now (at most MAX_RETRY_AFTER_MS);
 * undefined when absent or invalid.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else if (/^[A-Za-z]{3},/.test(trimmed) && !Number.isNaN(Date.parse(trimmed))) ms = Math.max(0, Date.parse(trimmed) - now);
  else return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
