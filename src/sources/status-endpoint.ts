/**
 * The optional status endpoint of a WHEP primary (`primary-status`): a URL answering JSON
 * `{"status": "live" | "offline" | "stopped"}`. WHEP itself cannot say "deliberately
 * stopped" unless the server sends events; this endpoint can. Policy: one GET with a
 * deadline, never retried here; anything unreadable counts as "unknown", never as a stop.
 */
import { fetchText } from './http.js';

export type StreamStatus = 'live' | 'offline' | 'stopped' | 'unknown';

export async function fetchStatus(url: string, timeoutMs: number, signal?: AbortSignal): Promise<StreamStatus> {
  const outcome = await fetchText(url, timeoutMs, signal);
  if (!outcome.ok) return 'unknown';
  try {
    const status = (JSON.parse(outcome.text) as { status?: unknown }).status;
    return status === 'live' || status === 'offline' || status === 'stopped' ? status : 'unknown';
  } catch {
    return 'unknown';
  }
}
