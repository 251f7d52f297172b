// createWhepEngine against a fake RTCPeerConnection and a fake WHEP server (test/unit/whep-fakes.ts),
// with a real <video> and real tracks: repairs (ICE restart, then a new session, make before
// break), the server's reconnect event, the 406 counter-offer, the limits, and the guards.
// Short thresholds (frame stall 500 ms, disconnected grace 600 ms) keep the tests quick.
import { expect } from '@open-wc/testing';
import type { Engine, EngineEvent } from '../../src/sources/engine.js';
import { createWhepEngine } from '../../src/sources/whep-engine.js';
import { limitsFor, resolveThresholds, type HealthThresholds } from '../../src/policy/thresholds.js';
import { until as pollUntil } from '../support/until.mjs';
import { FakePeerConnection, FakeWhepServer, installFakeWebRtc, type FakeWhepOptions } from './whep-fakes.js';

const ENDPOINT = 'https://whep.test/whep/main';
const GRACE = 600;
const STALL = 500;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Real time (no fake clock here): polled every 5 ms, so a grace is measured closely. */
const until = (condition: () => boolean, what: string, timeoutMs = 3000) => pollUntil(condition, what, timeoutMs, 5);

const pc = (index: number) => FakePeerConnection.instances[index];

describe('whep-engine', () => {
  let webrtc: ReturnType<typeof installFakeWebRtc>;
  let server: FakeWhepServer;
  let engine: Engine | null = null;
  let video: HTMLVideoElement;
  let events: EngineEvent[];

  const types = () => events.map((event) => event.type);
  const failed = () =>
    events.find((event) => event.type === 'SOURCE.FAILED') as (EngineEvent & { cause: string; scope?: string }) | undefined;

  /** Starts an engine and waits for its first picture. */
  async function playing(options: FakeWhepOptions = {}, extra: { token?: string; thresholds?: Partial<HealthThresholds> } = {}) {
    server = new FakeWhepServer(options).install();
    video = Object.assign(document.createElement('video'), { muted: true });
    document.body.append(video);
    events = [];
    const thresholds = resolveThresholds({
      frameStallMs: STALL,
      disconnectedGraceMs: GRACE,
      whepStartupTimeoutMs: 3000,
      ...extra.thresholds,
    });
    engine = createWhepEngine({
      video,
      source: { url: ENDPOINT, kind: 'whep' },
      thresholds,
      limits: limitsFor(thresholds, undefined),
      credentials: { token: extra.token },
      send: (event) => events.push(event),
      onAutoplayMuted: () => {},
    });
    const first = () => FakePeerConnection.instances.find((candidate) => !candidate.closed);
    await until(() => first()?.connectionState === 'connected', 'a connected session');
    first()!.flowing = true;
    await until(() => types().includes('SOURCE.FIRST_FRAME'), 'the first frame');
    return first()!;
  }

  beforeEach(() => {
    webrtc = installFakeWebRtc();
  });
  afterEach(async () => {
    engine?.destroy();
    engine = null;
    // Every session opened was DELETEd.
    await until(() => server.open().length === 0, 'every session DELETEd');
    server.restore();
    webrtc.restore();
    video?.remove();
  });

  it('disconnected → SUSPECT and an ICE restart; recovered within the grace → no failure, the same session', async () => {
    const first = await playing({}, { token: 'tok' });
    first.flowing = false;
    first.setState('disconnected');
    await until(() => server.of('PATCH').length === 1, 'the restart PATCH');
    expect(types()).to.include('SOURCE.SUSPECT');
    expect(server.of('PATCH')[0].headers.authorization).to.equal('Bearer tok');
    await until(() => first.connectionState === 'connected', 'connected again');
    first.flowing = true;
    await wait(GRACE + 300);
    expect(failed()).to.equal(undefined);
    expect(server.created()).to.have.length(1);
    expect(server.of('POST')).to.have.length(1);
    expect((video.srcObject as MediaStream).getTracks()).to.deep.equal([first.track]);
  });

  it('the restart answered 405 → a new session on the same endpoint, make before break, then the old one DELETEd', async () => {
    const first = await playing({ restart: 405 });
    const screen = video.srcObject as MediaStream;
    first.flowing = false;
    first.setState('disconnected');
    await until(
      () => FakePeerConnection.instances.length === 2 && pc(1).connectionState === 'connected',
      'a second, connected session',
    );
    expect(server.of('POST').map((r) => r.url)).to.deep.equal([ENDPOINT, ENDPOINT]);
    await wait(50);
    // No frame yet: the old picture stays, the old session too.
    expect(screen.getTracks()).to.deep.equal([first.track]);
    expect(server.open()).to.include('https://whep.test/s/0');
    pc(1).flowing = true;
    await until(() => server.open().length === 1 && server.open()[0] === 'https://whep.test/s/1', 'the old session DELETEd');
    expect(video.srcObject, 'the same MediaStream (no reload of the <video>)').to.equal(screen);
    expect(screen.getTracks()).to.deep.equal([pc(1).track]);
    expect(first.closed).to.equal(true);
    await wait(GRACE + 200);
    expect(failed()).to.equal(undefined);
    expect(
      types().filter((t) => t === 'SOURCE.FIRST_FRAME'),
      'one first frame for the machine',
    ).to.have.length(1);
  });

  it('neither the restart nor the new session brings a frame → FAILED after the grace, and the new session DELETEd', async () => {
    const first = await playing({ restart: 501 });
    FakePeerConnection.connectAfterMs = null; // the new session never connects
    first.flowing = false;
    const lostAt = performance.now();
    first.setState('disconnected');
    await until(() => !!failed(), 'FAILED', 3000);
    const after = performance.now() - lostAt;
    expect(after).to.be.within(GRACE - 20, GRACE + 300);
    expect(failed()!.cause)
      .to.match(/connection lost/)
      .and.match(/an ICE restart and a new session/);
    expect(failed()!.scope).to.equal('endpoint');
    // The DELETE goes out with the failure; its answer takes a few event-loop turns (more on a busy machine).
    await until(() => server.open().length < 2, 'the new session DELETEd', 500);
    expect(server.open(), 'the new session DELETEd; the failed one keeps its last frame').to.deep.equal(['https://whep.test/s/0']);
  });

  it('a new session the server refuses ends the repair at once', async () => {
    const first = await playing({ restart: 405 });
    server.options.post = 503;
    first.flowing = false;
    first.setState('disconnected');
    await until(() => !!failed(), 'FAILED', GRACE);
    expect(failed()!.cause).to.match(/new session refused: WHEP POST: HTTP 503/);
  });

  it('a restart that gets through but brings no media: the publisher is gone → FAILED, no new session', async () => {
    const first = await playing();
    first.flowing = false; // frames and packets stop: the stall starts a repair by itself
    await until(() => server.of('PATCH').length === 1, 'the restart PATCH');
    await until(() => !!failed(), 'FAILED', 3000);
    expect(failed()!.cause).to.match(/no video frames .*an ICE restart got through, but no media followed/);
    expect(server.of('POST')).to.have.length(1);
  });

  it('frames and packets stop while connected → an ICE restart (not a failure) that recovers', async () => {
    const first = await playing();
    first.flowing = false;
    await until(() => server.of('PATCH').length === 1, 'the restart PATCH', 1000);
    expect(types()).to.include('SOURCE.SUSPECT');
    first.flowing = true;
    await wait(STALL + GRACE);
    expect(failed()).to.equal(undefined);
  });

  it('packets still arrive but nothing decodes → no restart; FAILED after the frame-stall limit as before', async () => {
    const first = await playing();
    first.packetsOnly = true;
    await until(() => !!failed(), 'FAILED', 2000);
    expect(failed()!.cause).to.match(/^no video frames for/);
    expect(server.of('PATCH')).to.have.length(0);
  });

  it("the server's reconnect event: a new session at the same endpoint, make before break, the old one DELETEd", async () => {
    await playing({ events: true }, { token: 'tok' });
    await until(() => server.listening('https://whep.test/s/0'), 'the event stream');
    server.event('reconnect', {});
    await until(() => server.of('POST').filter((r) => r.url === ENDPOINT).length === 2, 'a new session');
    expect(
      server
        .of('POST')
        .filter((r) => !r.url.endsWith('/sse'))
        .map((r) => [r.url, r.headers.authorization]),
    ).to.deep.equal([
      [ENDPOINT, 'Bearer tok'],
      [ENDPOINT, 'Bearer tok'],
    ]);
    await until(() => pc(1).connectionState === 'connected', 'connected');
    expect(server.open()).to.have.length(2);
    pc(1).flowing = true;
    await until(() => server.open().length === 1, 'the old session DELETEd');
    expect((video.srcObject as MediaStream).getTracks()).to.deep.equal([pc(1).track]);
    expect(failed()).to.equal(undefined);
    expect(server.of('PATCH')).to.have.length(0);
  });

  it('reconnect with a url: the same origin gets the token, another origin does not', async () => {
    await playing({ events: true }, { token: 'tok' });
    await until(() => server.listening('https://whep.test/s/0'), 'the event stream');
    server.event('reconnect', { url: '/whep/alias' });
    await until(() => FakePeerConnection.instances.length === 2 && pc(1).connectionState === 'connected', 'a new session');
    pc(1).flowing = true;
    await until(() => pc(0).closed, 'the first session closed');
    await until(() => server.listening('https://whep.test/s/1'), "the new session's event stream");
    server.event('reconnect', { url: 'https://elsewhere.test/whep/b' });
    await until(() => server.of('POST').filter((r) => !r.url.endsWith('/sse')).length === 3, 'a third session');
    const posts = server.of('POST').filter((r) => !r.url.endsWith('/sse'));
    expect(posts.map((r) => [r.url, r.headers.authorization])).to.deep.equal([
      [ENDPOINT, 'Bearer tok'],
      ['https://whep.test/whep/alias', 'Bearer tok'],
      ['https://elsewhere.test/whep/b', undefined],
    ]);
  });

  it('a reconnect whose new session is refused keeps the old session playing', async () => {
    const first = await playing({ events: true });
    await until(() => server.listening('https://whep.test/s/0'), 'the event stream');
    server.options.post = 503;
    server.event('reconnect', {});
    await until(() => server.of('POST').filter((r) => r.url === ENDPOINT).length === 2, 'the refused POST');
    await wait(200);
    expect(failed()).to.equal(undefined);
    expect(first.closed).to.equal(false);
    expect(server.open()).to.deep.equal(['https://whep.test/s/0']);
  });

  it('a server that asks to reconnect more than 3 times a minute fails the endpoint', async () => {
    await playing({ events: true });
    for (let i = 0; i < 3; i += 1) {
      await until(() => server.listening(`https://whep.test/s/${i}`), `event stream ${i + 1}`);
      server.event('reconnect', {});
      await until(
        () => FakePeerConnection.instances.length === i + 2 && pc(i + 1).connectionState === 'connected',
        `session ${i + 2}`,
      );
      pc(i + 1).flowing = true;
      await until(() => pc(i).closed, `session ${i + 1} closed`);
    }
    await until(() => server.listening('https://whep.test/s/3'), 'event stream 4');
    server.event('reconnect', {});
    await until(() => !!failed(), 'FAILED');
    expect(failed()!.cause).to.match(/reconnect more than 3 times/);
  });

  it('a 406 counter-offer: the engine answers it and plays', async () => {
    await playing({ post: 'offer-406' });
    expect(server.of('PATCH').map((r) => r.headers['content-type'])).to.deep.equal(['application/sdp']);
    expect(FakePeerConnection.instances[0].closed).to.equal(true);
    expect((video.srcObject as MediaStream).getTracks()).to.deep.equal([pc(1).track]);
  });

  it('a picture that stalls and a network change (navigator.connection) → an ICE restart; a change on a healthy picture → none', async function () {
    const network = (navigator as Navigator & { connection?: EventTarget }).connection;
    if (!network) this.skip();
    const first = await playing();
    network!.dispatchEvent(new Event('change'));
    await wait(150);
    expect(server.of('PATCH'), 'a bandwidth estimate is no network change').to.have.length(0);
    first.packetsOnly = true; // frames stall, packets still come: the stall alone does not restart
    await until(() => types().includes('SOURCE.SUSPECT'), 'the suspicion');
    network!.dispatchEvent(new Event('change'));
    await until(() => server.of('PATCH').length === 1, 'the restart PATCH', 1000);
    first.packetsOnly = false;
    await wait(STALL + GRACE);
    expect(failed()).to.equal(undefined);
  });

  it('at most 3 repairs a minute: the fourth disconnection fails after the grace, without a restart', async () => {
    const first = await playing();
    for (let i = 1; i <= 3; i += 1) {
      first.flowing = false;
      first.setState('disconnected');
      await until(() => server.of('PATCH').length === i, `restart ${i}`);
      await until(() => first.connectionState === 'connected', 'connected again');
      first.flowing = true;
      await wait(150);
    }
    first.flowing = false;
    first.setState('disconnected');
    await until(() => !!failed(), 'FAILED', GRACE + 500);
    expect(failed()!.cause).to.equal('WebRTC connection lost');
    expect(server.of('PATCH')).to.have.length(3);
  });

  it('destroyed during a repair: nothing more is reported and the session opened meanwhile is DELETEd', async () => {
    const first = await playing({ restart: 405 });
    first.flowing = false;
    first.setState('disconnected');
    await until(() => server.of('PATCH').length === 1, 'the restart PATCH');
    await until(() => server.of('POST').length === 2, "the new session's POST");
    const reported = events.length;
    engine!.destroy();
    engine = null;
    await wait(GRACE + 200);
    expect(events).to.have.length(reported);
    expect(video.srcObject).to.equal(null);
    // afterEach checks that both sessions were DELETEd.
  });

  it('a failed session keeps its last frame until destroyed; a new one never replaces it after the failure', async () => {
    const first = await playing({ events: true });
    await until(() => server.listening('https://whep.test/s/0'), 'the event stream');
    server.event('inactive', {});
    await until(() => !!failed(), 'FAILED');
    expect(failed()!.scope).to.equal('stream');
    server.event('reconnect', {});
    first.setState('disconnected');
    await wait(GRACE + 100);
    expect(server.of('POST').filter((r) => r.url === ENDPOINT)).to.have.length(1);
    expect(server.of('PATCH')).to.have.length(0);
    expect(first.closed).to.equal(false);
    expect(server.open()).to.deep.equal(['https://whep.test/s/0']);
  });
});
