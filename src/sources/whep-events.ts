/**
 * The WHEP server-sent-events extension (`Link: <…>; rel="urn:ietf:params:whep:ext:core:server-sent-events"`).
 * The client subscribes by POSTing the JSON list of events it wants to the advertised URL and
 * reads the stream at the returned `Location`; a server that answers the POST with no
 * Location (or refuses it) is read at the advertised URL itself. Read with fetch, not
 * EventSource, so the bearer token can be sent. Policy: one stream per session, never
 * reconnected: when it drops, the frame and connection watchdogs still judge the session.
 */
import type { WhepLink } from './whep-session.js';

export interface WhepEventHandlers {
  onEvent(name: string, data: unknown): void;
}

export const SUBSCRIBED_EVENTS = ['active', 'inactive', 'reconnect'];

function parseData(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return text;
  }
}

async function readEventStream(response: Response, handlers: WhepEventHandlers, signal: AbortSignal): Promise<void> {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) return;
  signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
  let buffer = '';
  let eventName = 'message';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done || signal.aborted) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (data.length || eventName !== 'message') handlers.onEvent(eventName, parseData(data.join('\n')));
        eventName = 'message';
        data = [];
      } else if (line.startsWith('event:')) {
        eventName = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }
}

export async function subscribeWhepEvents(
  link: WhepLink,
  token: string | null | undefined,
  handlers: WhepEventHandlers,
  signal: AbortSignal,
): Promise<void> {
  const auth: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  try {
    let streamUrl = link.url;
    const subscribe = await fetch(link.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: JSON.stringify(SUBSCRIBED_EVENTS),
      signal,
    });
    const location = subscribe.headers.get('Location');
    if (subscribe.ok && location) streamUrl = new URL(location, link.url).href;
    if ((subscribe.headers.get('Content-Type') ?? '').includes('text/event-stream')) {
      await readEventStream(subscribe, handlers, signal);
      return;
    }
    subscribe.body?.cancel().catch(() => {});
    const stream = await fetch(streamUrl, { headers: { Accept: 'text/event-stream', ...auth }, signal, cache: 'no-store' });
    if (!stream.ok) return;
    await readEventStream(stream, handlers, signal);
  } catch {
    // Aborted, or the server does not really support the extension: nothing to do.
  }
}
