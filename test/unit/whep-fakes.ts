// Fakes for the WHEP unit tests (not a test file): an RTCPeerConnection that follows the offer/
// answer states, gathers at once, "connects" when it has a remote description and counts
// decoded frames and RTP packets while the test lets media flow; and a WHEP server behind a
// fake fetch (POST → 201 or the draft's 406 counter-offer, PATCH → ICE restart or trickle,
// DELETE, the SSE extension). Installed on globalThis for one test, restored after it.
// The tracks are real (a canvas's captureStream), so a real <video> and MediaStream take them.

const SDP_MEDIA = 'UDP/TLS/RTP/SAVPF 96';

/** A small but well-formed SDP: BUNDLE of video (mid 0) and audio (mid 1), one host candidate. */
export function fakeSdp(options: {
  ufrag: string;
  pwd: string;
  setup: string;
  direction: string;
  port?: number;
  candidateIp?: string;
}): string {
  const { ufrag, pwd, setup, direction, port = 9, candidateIp = '192.0.2.10' } = options;
  const section = (kind: string, mid: string, withCandidate: boolean) => [
    `m=${kind} ${port} ${SDP_MEDIA}`,
    'c=IN IP4 0.0.0.0',
    `a=mid:${mid}`,
    `a=ice-ufrag:${ufrag}`,
    `a=ice-pwd:${pwd}`,
    'a=fingerprint:sha-256 00:11:22:33',
    `a=setup:${setup}`,
    `a=${direction}`,
    'a=rtcp-mux',
    ...(withCandidate ? [`a=candidate:1 1 udp 2130706431 ${candidateIp} ${4000 + ufrag.length} typ host`, 'a=end-of-candidates'] : []),
  ];
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=ice-options:trickle',
    ...section('video', '0', true),
    ...section('audio', '1', false),
    '',
  ].join('\r\n');
}

let canvas: HTMLCanvasElement | null = null;
function realVideoTrack(): MediaStreamTrack {
  canvas ??= Object.assign(document.createElement('canvas'), { width: 16, height: 16 });
  canvas.getContext('2d')!.fillRect(0, 0, 16, 16);
  return canvas.captureStream(10).getVideoTracks()[0];
}

export class FakePeerConnection extends EventTarget {
  static instances: FakePeerConnection[] = [];
  /** New connections connect this long after they have both descriptions; null: never. */
  static connectAfterMs: number | null = 5;

  connectionState: RTCPeerConnectionState = 'new';
  iceGatheringState: RTCIceGatheringState = 'new';
  signalingState: RTCSignalingState = 'stable';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  /** Decoded frames and RTP packets, advanced by the media clock while `flowing`. */
  frames = 0;
  packets = 0;
  flowing = false;
  /** Packets arrive but nothing decodes (a decoder waiting for a keyframe). */
  packetsOnly = false;
  closed = false;
  restarts = 0;
  readonly track = realVideoTrack();
  readonly id = FakePeerConnection.instances.length;
  private generation = 0;
  private previousLocal: RTCSessionDescriptionInit | null = null;
  private configuration: RTCConfiguration;

  constructor(configuration: RTCConfiguration = {}) {
    super();
    this.configuration = configuration;
    FakePeerConnection.instances.push(this);
  }

  addTransceiver() {
    return {};
  }
  getReceivers() {
    return [{ track: this.track }] as unknown as RTCRtpReceiver[];
  }
  getConfiguration() {
    return this.configuration;
  }
  setConfiguration(configuration: RTCConfiguration) {
    this.configuration = configuration;
  }
  restartIce() {
    this.restarts += 1;
  }
  private local(type: 'offer' | 'answer', setup: string) {
    return {
      type,
      sdp: fakeSdp({
        ufrag: `c${this.id}g${this.generation}`,
        pwd: `client-password-${this.id}-${this.generation}`,
        setup,
        direction: 'recvonly',
      }),
    };
  }
  async createOffer(options: RTCOfferOptions = {}): Promise<RTCSessionDescriptionInit> {
    if (options.iceRestart) this.generation += 1;
    return this.local('offer', 'actpass');
  }
  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    return this.local('answer', 'active');
  }
  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (this.closed) throw new DOMException('closed', 'InvalidStateError');
    if (description.type === 'rollback') {
      this.localDescription = this.previousLocal;
      this.signalingState = 'stable';
      return;
    }
    this.previousLocal = this.localDescription;
    this.localDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-local-offer' : 'stable';
    // Gathering: at once, then its end, as a browser does (with the end-of-candidates event).
    this.iceGatheringState = 'gathering';
    this.dispatchEvent(new Event('icegatheringstatechange'));
    setTimeout(() => {
      if (this.closed) return;
      this.iceGatheringState = 'complete';
      this.dispatchEvent(new Event('icegatheringstatechange'));
      this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: null }));
    }, 2);
    if (description.type === 'answer') this.connectSoon();
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (this.closed) throw new DOMException('closed', 'InvalidStateError');
    if (!description.sdp?.startsWith('v=0')) throw new DOMException('bad SDP', 'InvalidAccessError');
    this.remoteDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
    if (description.type === 'answer') this.connectSoon();
  }
  private connectSoon() {
    const after = FakePeerConnection.connectAfterMs;
    if (after === null) return;
    setTimeout(() => {
      if (!this.closed && this.connectionState !== 'connected') this.setState('connected');
    }, after);
  }
  async getStats(): Promise<RTCStatsReport> {
    return new Map([
      ['video', { type: 'inbound-rtp', kind: 'video', framesDecoded: this.frames, packetsReceived: this.packets }],
    ]) as unknown as RTCStatsReport;
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.flowing = false;
    this.connectionState = 'closed';
    this.signalingState = 'closed';
  }
  setState(state: RTCPeerConnectionState) {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface FakeWhepOptions {
  /** What a POST gets: 201 (default), 'offer-406' (the counter-offer), or any other status. */
  post?: number | 'offer-406';
  /** What an ICE restart PATCH gets: 'restart' (200 with a fragment, default) or a status. */
  restart?: 'restart' | number;
  /** Content-Type parameter of the counter-offer (e.g. a valid-until date). */
  counterOfferType?: string;
  /** Advertise the SSE extension. */
  events?: boolean;
}

/** A WHEP server behind globalThis.fetch. Every endpoint URL is accepted; sessions live under /s/<n>. */
export class FakeWhepServer {
  readonly requests: RecordedRequest[] = [];
  /** Session locations → open? */
  readonly sessions = new Map<string, boolean>();
  private readonly streams = new Map<string, ReadableStreamDefaultController<Uint8Array>>();
  private next = 0;
  private readonly real = globalThis.fetch;

  constructor(public options: FakeWhepOptions = {}) {}

  install(): this {
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => this.handle(input, init)) as typeof fetch;
    return this;
  }
  restore() {
    globalThis.fetch = this.real;
    for (const controller of this.streams.values()) {
      try {
        controller.close();
      } catch {
        // already closed
      }
    }
  }
  /** The sessions created (their absolute Locations), in order. */
  created(): string[] {
    return [...this.sessions.keys()];
  }
  open(): string[] {
    return [...this.sessions].filter(([, open]) => open).map(([location]) => location);
  }
  of(method: string, pattern?: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (!pattern || pattern.test(r.url)));
  }
  /** Whether the session's event stream is open (a GET is recorded a moment before it is). */
  listening(location: string): boolean {
    return this.streams.has(location);
  }
  /** Sends an SSE event on every open event stream. */
  event(name: string, data: unknown) {
    const text = new TextEncoder().encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    for (const controller of this.streams.values()) controller.enqueue(text);
  }

  private async handle(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init.method ?? 'GET';
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = typeof init.body === 'string' ? init.body : '';
    this.requests.push({ method, url, headers, body, at: performance.now() });
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const { pathname, origin } = new URL(url);
    const session = /^\/s\/\d+/.exec(pathname)?.[0];
    if (session && pathname.endsWith('/sse')) {
      if (method === 'POST') return new Response(null, { status: 201, headers: { Location: `${origin}${session}/sse` } });
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      this.streams.set(`${origin}${session}`, controller);
      init.signal?.addEventListener('abort', () => {
        this.streams.delete(`${origin}${session}`);
        try {
          controller.error(new DOMException('aborted', 'AbortError'));
        } catch {
          // closed
        }
      });
      return new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    }
    if (session) {
      const location = `${origin}${session}`;
      if (!this.sessions.get(location)) return new Response('no such session', { status: 404 });
      if (method === 'DELETE') {
        this.sessions.set(location, false);
        this.streams.get(location)?.close();
        this.streams.delete(location);
        return new Response(null, { status: 200 });
      }
      if (method === 'PATCH') {
        if (/^application\/sdp/.test(headers['content-type'] ?? '')) return new Response(null, { status: 204 });
        const restart = this.options.restart ?? 'restart';
        if (restart !== 'restart') return new Response('no', { status: restart });
        const n = session.slice(3);
        const frag = [
          'a=ice-options:trickle',
          'm=video 9 UDP/TLS/RTP/SAVPF 96',
          'a=mid:0',
          `a=ice-ufrag:s${n}r`,
          `a=ice-pwd:server-restarted-${n}`,
          'a=candidate:1 1 udp 2130706431 192.0.2.99 5000 typ host',
          'a=end-of-candidates',
          '',
        ].join('\r\n');
        return new Response(frag, {
          status: 200,
          headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', ETag: `"e${n}-restarted"` },
        });
      }
      return new Response('', { status: 405 });
    }
    if (method !== 'POST') return new Response('', { status: 405 });
    const post = this.options.post ?? 201;
    if (typeof post === 'number' && post !== 201)
      return new Response('refused', { status: post, headers: post === 503 ? { 'Retry-After': '2' } : {} });
    const n = this.next++;
    const location = `${origin}/s/${n}`;
    this.sessions.set(location, true);
    const link: Record<string, string> = this.options.events
      ? { Link: `<${location}/sse>; rel="urn:ietf:params:whep:ext:core:server-sent-events"; events="active,inactive,reconnect"` }
      : {};
    if (post === 'offer-406') {
      const offer = fakeSdp({ ufrag: `s${n}`, pwd: `server-password-${n}`, setup: 'actpass', direction: 'sendonly' });
      return new Response(offer, {
        status: 406,
        headers: { 'Content-Type': `application/sdp${this.options.counterOfferType ?? ''}`, Location: `/s/${n}`, ...link },
      });
    }
    const answer = fakeSdp({ ufrag: `s${n}`, pwd: `server-password-${n}`, setup: 'passive', direction: 'sendonly' });
    return new Response(answer, {
      status: 201,
      headers: { 'Content-Type': 'application/sdp', Location: `/s/${n}`, ETag: `"e${n}"`, ...link },
    });
  }
}

/** Installs the fake RTCPeerConnection and a media clock (frames and packets every 20 ms while flowing). */
export function installFakeWebRtc() {
  const real = globalThis.RTCPeerConnection;
  FakePeerConnection.instances = [];
  FakePeerConnection.connectAfterMs = 5;
  globalThis.RTCPeerConnection = FakePeerConnection as unknown as typeof RTCPeerConnection;
  const clock = setInterval(() => {
    for (const pc of FakePeerConnection.instances) {
      if (!pc.flowing || pc.closed) continue;
      pc.packets += 3;
      if (!pc.packetsOnly) pc.frames += 1;
    }
  }, 20);
  return {
    restore() {
      clearInterval(clock);
      globalThis.RTCPeerConnection = real;
      for (const pc of FakePeerConnection.instances) pc.track.stop();
    },
  };
}
