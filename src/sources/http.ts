/**
 * One HTTP GET with a hard deadline, for probes and watchers. Never retries by itself:
 * callers decide (probes answer "not live", the machine backs off). Never throws for HTTP
 * or network failures; it returns why, so the reason reaches the `statechange` event.
 */
import { parseRetryAfter } from './retry-after.js';

export { MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry-after.js';

export type FetchOutcome =
  | { ok: true; text: string; url: string }
  /** `network`: no server answered (offline, refused, DNS, CORS: the browser does not say which). */
  | { ok: false; cause: string; status?: number; retryAfterMs?: number; aborted?: boolean; network?: boolean };

/** Waits `ms`, or rejects with the signal's reason when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function fetchText(url: string, timeoutMs: number, signal?: AbortSignal): Promise<FetchOutcome> {
  if (signal?.aborted) return { ok: false, cause: 'aborted', aborted: true };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const forwardAbort = () => controller.abort();
  signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const response = await fetch(url, { signal: controller.signal, cache: 'no-store', credentials: 'same-origin' });
    if (!response.ok) {
      // Drain nothing: the body of an error page is not needed, cancel it to free the socket.
      response.body?.cancel().catch(() => {});
      return {
        ok: false,
        status: response.status,
        cause: `HTTP ${response.status}`,
        retryAfterMs: parseRetryAfter(response.headers.get('Retry-After')),
      };
    }
    return { ok: true, text: await response.text(), url: response.url || url };
  } catch {
    if (signal?.aborted) return { ok: false, cause: 'aborted', aborted: true };
    return timedOut ? { ok: false, cause: `no answer within ${timeoutMs} ms` } : { ok: false, cause: 'unreachable', network: true };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forwardAbort);
  }
}
