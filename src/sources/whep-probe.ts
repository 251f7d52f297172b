/**
 * WHEP probe: live means the endpoint answers a receive-only offer with `201 Created` and a
 * `Location` (DESIGN §1), or with the draft's `406` counter-offer (its own offer and a
 * `Location`), which the probe does not answer. Policy: one POST, deadline
 * `requestTimeoutMs` for a 6 s-target stream (WHEP has no target duration); the probe's
 * session is closed (DELETE) at once either way.
 * `409`/`503` with `Retry-After` are "not live yet" with that delay. Never retries itself.
 * With a status endpoint, it is asked first: `stopped` is a deliberate stop and `offline`
 * is not live, both without opening a session.
 */
import type { ProbeVerdict } from '../machine/types.js';
import { openWhepSession, WhepRefusedError } from './whep-session.js';

export interface WhepProbeOptions {
  token?: string | null;
  timeoutMs: number;
  signal?: AbortSignal;
  statusUrl?: string;
}

export async function probeWhep(url: string, options: WhepProbeOptions): Promise<ProbeVerdict> {
  if (options.statusUrl) {
    const { fetchStatus } = await import('./status-endpoint.js');
    const status = await fetchStatus(options.statusUrl, options.timeoutMs, options.signal);
    if (status === 'stopped') return { status: 'stopped', cause: 'the status endpoint says the stream was stopped' };
    if (status === 'offline') return { status: 'not-live', cause: 'the status endpoint says the stream is offline' };
  }
  try {
    const session = await openWhepSession(url, { ...options, probe: true });
    session.close();
    return { status: 'live' };
  } catch (error) {
    const refused = error instanceof WhepRefusedError ? error : new WhepRefusedError(String(error));
    return {
      status: 'not-live',
      cause: refused.message,
      ...(refused.retryAfterMs !== undefined ? { retryAfterMs: refused.retryAfterMs } : {}),
      ...(refused.network ? { network: true } : {}),
    };
  }
}
