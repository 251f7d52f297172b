// Self-test of the WHEP test server with real clients: werift's RTCPeerConnection in Node as a
// WHEP client (counts RTP packets and VP8 keyframes on the track), and real Chromium through
// playwright-core (decodes, reads the centre pixel, times POST -> first frame). Timings are
// printed as figures, not asserted tightly. Runs in about 30 s:
//
//   node --test test/servers/whep-selftest.mjs      (CHROME_PATH overrides /usr/bin/chromium)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { RTCPeerConnection, RTCRtpCodecParameters, Vp8RtpPayload } from 'werift';
import { chromium } from 'playwright-core';
import { classify } from '../../bench/colour.mjs';
import { until } from '../support/until.mjs';
import { SSE_REL, startWhepServer } from './whep-server.mjs';

/** @typedef {import('./whep-server.mjs').WhepServer} WhepServer */

const CHROME = process.env.CHROME_PATH || '/usr/bin/chromium';
const CHROME_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
];

/** @param {string} label @param {number} ms */
const figure = (label, ms) => console.log(`# figure  ${label}: ${Math.round(ms)} ms`);

// ---------------------------------------------------------------------------------------------
// werift as a WHEP client

/**
 * @typedef {object} NodeClient
 * @property {Response} res
 * @property {string | null} location   absolute session URL (null unless 201)
 * @property {RTCPeerConnection} pc
 * @property {{ packets: number, keyframes: number, lastAt: number, seqs: number[] }} rx
 * @property {() => Promise<void>} close  DELETE (if any) and close the peer connection
 */

/**
 * POSTs a recvonly offer; on 201 applies the answer and counts what arrives.
 * @param {string} endpoint
 * @param {Record<string, string>} [headers]
 * @returns {Promise<NodeClient>}
 */
async function nodeClient(endpoint, headers = {}) {
  const pc = new RTCPeerConnection({
    iceAdditionalHostAddresses: ['127.0.0.1'],
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000 })], audio: [] },
  });
  const rx = { packets: 0, keyframes: 0, lastAt: 0, seqs: /** @type {number[]} */ ([]) };
  const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  transceiver.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      rx.packets++;
      rx.lastAt = Date.now();
      rx.seqs.push(rtp.header.sequenceNumber);
      if (Vp8RtpPayload.deSerialize(rtp.payload).isKeyframe) rx.keyframes++;
    }),
  );
  await pc.setLocalDescription(await pc.createOffer());
  /** @type {Response} */
  let res;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', ...headers },
      body: pc.localDescription?.sdp,
    });
  } catch (err) {
    await pc.close();
    throw err;
  }
  const location = res.status === 201 ? new URL(/** @type {string} */ (res.headers.get('location')), endpoint).href : null;
  if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  else {
    await res.arrayBuffer();
    await pc.close(); // refused: nothing to keep
  }
  return {
    res,
    location,
    pc,
    rx,
    async close() {
      if (location) await fetch(location, { method: 'DELETE' }).then((r) => r.arrayBuffer());
      await pc.close();
    },
  };
}

/**
 * Opens the session's SSE stream and collects events.
 * @param {string} url
 */
async function sseClient(url) {
  /** @type {{ event: string, data: any, at: number }[]} */
  const events = [];
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  let ended = false;
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (/** @type {unknown} */ (res.body))) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event) events.push({ event, data: data ? JSON.parse(data) : undefined, at: Date.now() });
        }
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    events,
    get ended() {
      return ended;
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Chromium as a WHEP client

const PAGE = `<!doctype html><meta charset="utf-8"><title>whep selftest</title><body>
<script>
  const players = new Map();
  let next = 0;
  // POST a recvonly offer (after ICE gathering), play the track, time POST -> 201 -> first frame.
  window.play = async (endpoint) => {
    const id = next++;
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    const video = Object.assign(document.createElement('video'), { muted: true, autoplay: true, playsInline: true });
    document.body.append(video);
    const p = { pc, video, t: {}, location: null, states: [] };
    players.set(id, p);
    pc.onconnectionstatechange = () => p.states.push([pc.connectionState, performance.now()]);
    pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== 'complete') {
      await new Promise((r) => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 1000); });
    }
    p.t.post = performance.now();
    video.requestVideoFrameCallback(() => { p.t.frame = performance.now(); });
    const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    p.t.answered = performance.now();
    if (res.status !== 201) return { id, status: res.status };
    p.location = new URL(res.headers.get('Location'), endpoint).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    return { id, status: 201, link: res.headers.get('Link') };
  };
  window.sample = async (id) => {
    const p = players.get(id);
    let framesDecoded = 0;
    (await p.pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded; });
    let rgb = null;
    if (p.video.videoWidth) {
      const c = document.createElement('canvas');
      c.width = p.video.videoWidth; c.height = p.video.videoHeight;
      const g = c.getContext('2d');
      g.drawImage(p.video, 0, 0);
      rgb = Array.from(g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data.slice(0, 3));
    }
    return { framesDecoded, rgb, t: p.t, connectionState: p.pc.connectionState, states: p.states, now: performance.now() };
  };
  window.stop = async (id) => {
    const p = players.get(id);
    if (p.location) await fetch(p.location, { method: 'DELETE' });
    p.pc.close();
    p.video.remove();
    players.delete(id);
  };
</script>`;

/** The page's centre pixel is this stream's colour, by the tests' one colour rule. @param {number[] | null} rgb @param {'red' | 'blue'} colour */
function looksLike(rgb, colour) {
  return rgb != null && classify({ r: rgb[0], g: rgb[1], b: rgb[2] }) === colour;
}

// ---------------------------------------------------------------------------------------------

describe('whep-server', { timeout: 90_000 }, () => {
  /** @type {WhepServer} */
  let whep;
  before(async () => {
    const t0 = performance.now();
    whep = await startWhepServer({ streams: { primary: 'red', fallback: 'blue' } });
    figure('startWhepServer (publishers sending)', performance.now() - t0);
  });
  after(async () => {
    await whep?.close();
  });

  test('POST answers 201 with Location, ETag, Link (SSE) and CORS; media flows; DELETE closes', async () => {
    await whep.reset();
    const t0 = performance.now();
    const c = await nodeClient(whep.streams.primary.url);
    figure('POST -> 201 (werift client)', performance.now() - t0);
    assert.equal(c.res.status, 201);
    assert.equal(c.res.headers.get('content-type'), 'application/sdp');
    assert.match(c.res.headers.get('location') ?? '', /^\/whep\/primary\/sessions\/[0-9a-f]+$/);
    assert.ok(c.res.headers.get('etag'));
    const link = c.res.headers.get('link') ?? '';
    assert.ok(link.includes(`rel="${SSE_REL}"`) && link.includes('events="active,inactive,reconnect"'), link);
    assert.equal(c.res.headers.get('access-control-allow-origin'), '*');
    assert.match(c.res.headers.get('access-control-expose-headers') ?? '', /Location.*Link.*ETag.*Retry-After/);
    await until(() => c.rx.keyframes >= 1 && c.rx.packets >= 30, 'packets and a keyframe', 4000, 25);
    assert.equal(whep.openSessions(), 1);
    assert.equal(whep.openSessions('primary'), 1);
    assert.equal(whep.openSessions('fallback'), 0);

    const preflight = await fetch(whep.streams.primary.url, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST.*DELETE.*PATCH.*OPTIONS.*GET/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Content-Type.*Authorization.*If-Match/);

    await c.close();
    assert.equal(whep.openSessions(), 0);
    assert.equal(whep.sessions()[0].closedBy, 'delete');
    assert.equal((await fetch(/** @type {string} */ (c.location), { method: 'DELETE' })).status, 404);
    const log = whep.log({ stream: 'primary' });
    assert.deepEqual(log.map((e) => [e.method, e.status]).slice(0, 2), [
      ['POST', 201],
      ['DELETE', 200],
    ]);
    const counts = await (await fetch(`${whep.url}/sessions`)).json();
    assert.equal(counts.total, 0);
  });

  test('publisher-gone stops packets (SSE inactive {}), POST 404; revive resumes the same session', async () => {
    await whep.reset();
    const c = await nodeClient(whep.streams.primary.url);
    await until(() => c.rx.packets > 20, 'packets', 4000, 25);
    const events = await sseClient(`${whep.url}${c.res.headers.get('location')}/sse`);
    await until(() => events.events.some((e) => e.event === 'active'), 'SSE active', 2000, 25);

    await whep.setFault('primary', { kind: 'publisher-gone' });
    await until(() => events.events.some((e) => e.event === 'inactive'), 'SSE inactive', 2000, 25);
    assert.deepEqual(events.events.at(-1)?.data, {});
    await sleep(100);
    const stalled = c.rx.packets;
    await sleep(600);
    assert.equal(c.rx.packets, stalled, 'no packets while the publisher is gone');
    assert.equal(c.pc.connectionState, 'connected');
    assert.equal(whep.openSessions('primary'), 1, JSON.stringify(whep.sessions()));
    assert.equal((await nodeClient(whep.streams.primary.url)).res.status, 404, 'POST 404 by default');
    await whep.setFault('primary', { kind: 'publisher-gone', post: 201 });
    const late = await nodeClient(whep.streams.primary.url);
    assert.equal(late.res.status, 201, 'post: 201 answers while no publisher');
    await late.close();

    const lastSeq = /** @type {number} */ (c.rx.seqs.at(-1));
    const t0 = performance.now();
    await whep.setFault('primary', 'none');
    await until(() => c.rx.packets > stalled, 'packets after revive', 5000, 25);
    figure('publisher restart -> first RTP at the client', performance.now() - t0);
    await until(() => events.events.at(-1)?.event === 'active', 'SSE active after revive', 2000, 25);
    assert.equal(c.rx.seqs[c.rx.seqs.indexOf(lastSeq) + 1], (lastSeq + 1) & 0xffff, 'sequence numbers continue');
    await events.close();
    await c.close();
    assert.equal(whep.openSessions(), 0);
  });

  test('post-503 and post-409 carry Retry-After; existing sessions keep playing', async () => {
    await whep.reset();
    const c = await nodeClient(whep.streams.fallback.url);
    await until(() => c.rx.packets > 10, 'packets', 4000, 25);
    await whep.setFault('fallback', 'post-503');
    const r503 = await nodeClient(whep.streams.fallback.url);
    assert.equal(r503.res.status, 503);
    assert.equal(r503.res.headers.get('retry-after'), '2');
    await whep.setFault('fallback', { kind: 'post-409', retryAfter: 5 });
    const r409 = await nodeClient(whep.streams.fallback.url);
    assert.equal(r409.res.status, 409);
    assert.equal(r409.res.headers.get('retry-after'), '5');
    await whep.setFault('fallback', 'post-404');
    assert.equal((await nodeClient(whep.streams.fallback.url)).res.status, 404);
    const before = c.rx.packets;
    await until(() => c.rx.packets > before + 10, 'packets on the existing session', 2000, 25);
    await c.close();
  });

  test('require-token: 401 without or with a wrong token, 201 with it; the log never holds it', async () => {
    await whep.reset();
    await whep.setFault('primary', { kind: 'require-token', token: 's3cret-t0ken' });
    assert.equal((await nodeClient(whep.streams.primary.url)).res.status, 401);
    assert.equal((await nodeClient(whep.streams.primary.url, { Authorization: 'Bearer nope' })).res.status, 401);
    const ok = await nodeClient(whep.streams.primary.url, { Authorization: 'Bearer s3cret-t0ken' });
    assert.equal(ok.res.status, 201);
    await ok.close();
    const log = whep.log({ stream: 'primary' });
    assert.deepEqual(log.map((e) => [e.status, e.token]).slice(0, 3), [
      [401, false],
      [401, true],
      [201, true],
    ]);
    const everything = JSON.stringify([
      log,
      await (await fetch(`${whep.url}/log`)).text(),
      await (await fetch(`${whep.url}/control`)).text(),
    ]);
    assert.ok(!everything.includes('s3cret'), 'token leaked');
  });

  test('stop: SSE inactive {reason: stopped}, sessions and SSE closed, POST 404 until reset', async () => {
    await whep.reset();
    const c = await nodeClient(whep.streams.primary.url);
    const events = await sseClient(`${whep.url}${c.res.headers.get('location')}/sse`);
    await until(() => c.rx.packets > 5, 'packets', 4000, 25);
    await whep.setFault('primary', 'stop');
    await until(() => events.ended, 'SSE stream closed', 2000, 25);
    assert.deepEqual(events.events.at(-1), { ...events.events.at(-1), event: 'inactive', data: { reason: 'stopped' } });
    assert.equal(whep.openSessions('primary'), 0);
    assert.equal(whep.sessions({ stream: 'primary' })[0].closedBy, 'server');
    await sleep(200);
    const stalled = c.rx.packets;
    await sleep(500);
    assert.equal(c.rx.packets, stalled, 'no media after stop');
    assert.equal((await nodeClient(whep.streams.primary.url)).res.status, 404);
    assert.equal((await fetch(/** @type {string} */ (c.location), { method: 'DELETE' })).status, 404);
    await c.pc.close();
    await whep.reset();
    const again = await nodeClient(whep.streams.primary.url);
    assert.equal(again.res.status, 201);
    await until(() => again.rx.packets > 5, 'packets after reset', 4000, 25);
    await again.close();
  });

  test('hang holds the POST until the fault changes; ice-fail answers unusable candidates', async () => {
    await whep.reset();
    await whep.setFault('fallback', 'hang');
    const pending = nodeClient(whep.streams.fallback.url).then(
      (c) => c.res.status,
      () => 'cut',
    );
    await until(() => whep.log({ stream: 'fallback' }).length === 1, 'held POST logged', 2000, 25);
    const raced = await Promise.race([pending, sleep(500).then(() => 'still held')]);
    assert.equal(raced, 'still held');
    assert.equal(whep.log({ stream: 'fallback' })[0].status, 0);
    await whep.setFault('fallback', 'none');
    assert.equal(await pending, 'cut');

    await whep.setFault('fallback', 'ice-fail');
    const c = await nodeClient(whep.streams.fallback.url);
    assert.equal(c.res.status, 201);
    await sleep(1500);
    assert.notEqual(c.pc.connectionState, 'connected');
    assert.equal(c.rx.packets, 0);
    assert.equal(whep.openSessions('fallback'), 1, 'ice-fail session stays until DELETE');
    await c.close();
    assert.equal(whep.openSessions('fallback'), 0);
  });

  test('PATCH: trickle 204; ICE restart needs If-Match: *, answers 200 with its sdpfrag and a new ETag; no-patch 405', async () => {
    await whep.reset();
    const c = await nodeClient(whep.streams.primary.url);
    await until(() => c.rx.packets > 5, 'packets', 4000, 25);
    const location = /** @type {string} */ (c.location);
    const patch = (/** @type {string} */ body, /** @type {Record<string, string>} */ headers = {}) =>
      fetch(location, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', ...headers }, body });
    const offer = /** @type {{ sdp: string }} */ (c.pc.localDescription).sdp;
    const ufrag = /a=ice-ufrag:(\S+)/.exec(offer)?.[1];
    const pwd = /a=ice-pwd:(\S+)/.exec(offer)?.[1];
    const trickle = await patch(`a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n`);
    assert.equal(trickle.status, 204);
    const restartFrag =
      'a=ice-options:trickle\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=ice-ufrag:new1\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\na=end-of-candidates\r\n';
    assert.equal((await patch(restartFrag)).status, 428, 'a restart without If-Match');
    assert.equal((await patch(restartFrag, { 'If-Match': '"nope"' })).status, 412, 'a restart with an entity-tag');
    await whep.setFault('primary', 'no-patch');
    const refused = await patch(restartFrag, { 'If-Match': '*' });
    assert.equal(refused.status, 405);
    assert.match(refused.headers.get('allow') ?? '', /DELETE/);
    await whep.setFault('primary', { kind: 'no-patch', status: 501 });
    assert.equal((await patch(restartFrag, { 'If-Match': '*' })).status, 501);
    await whep.setFault('primary', 'none');

    // This client does not restart its own ICE: its session fails afterwards (and ends).
    const etag = c.res.headers.get('etag');
    const restarted = await patch(restartFrag, { 'If-Match': '*' });
    assert.equal(restarted.status, 200);
    assert.match(restarted.headers.get('content-type') ?? '', /^application\/trickle-ice-sdpfrag/);
    assert.ok(restarted.headers.get('etag') && restarted.headers.get('etag') !== etag, 'a new ETag');
    const frag = await restarted.text();
    assert.match(frag, /^a=ice-ufrag:\S+$/m);
    assert.match(frag, /^a=ice-pwd:\S+$/m);
    assert.match(frag, /^a=candidate:.* typ host/m);
    assert.notEqual(/a=ice-ufrag:(\S+)/.exec(frag)?.[1], /a=ice-ufrag:(\S+)/.exec((await c.pc.remoteDescription?.sdp) ?? '')?.[1]);
    assert.equal(whep.sessions()[0].iceRestarts, 1);
    await c.close();
    assert.equal(whep.openSessions(), 0);
  });

  test("move drops the session's client addresses; reconnect sends the SSE event (url optional); the alias endpoint answers", async () => {
    await whep.reset();
    const c = await nodeClient(whep.streams.primary.url);
    await until(() => c.rx.packets > 5, 'packets', 4000, 25);
    const events = await sseClient(`${whep.url}${c.res.headers.get('location')}/sse`);
    await whep.setFault('primary', 'move');
    await sleep(200);
    const stalled = c.rx.packets;
    await sleep(500);
    assert.equal(c.rx.packets, stalled, 'nothing reaches the old address');
    assert.equal(whep.sessions()[0].moved, true);
    assert.equal(whep.openSessions('primary'), 1, 'a moved session stays open until DELETE');

    await whep.setFault('primary', 'reconnect');
    await until(() => events.events.some((e) => e.event === 'reconnect'), 'SSE reconnect', 2000, 25);
    assert.deepEqual(events.events.find((e) => e.event === 'reconnect')?.data, {});
    const alias = `${whep.streams.primary.url}/alias`;
    await whep.setFault('primary', { kind: 'reconnect', url: alias });
    await until(() => events.events.filter((e) => e.event === 'reconnect').length === 2, 'SSE reconnect with a url', 2000, 25);
    assert.deepEqual(events.events.filter((e) => e.event === 'reconnect')[1].data, { url: alias });
    const moved = await nodeClient(alias);
    assert.equal(moved.res.status, 201, 'the alias is the same endpoint');
    await until(() => moved.rx.packets > 5, 'packets from the alias', 4000, 25);
    await events.close();
    await Promise.all([c.close(), moved.close()]);
    assert.equal(whep.openSessions(), 0);
  });

  test("offer-406: 406 with the server's own offer (application/sdp) and a Location; the session is open until DELETE", async () => {
    await whep.reset();
    await whep.setFault('fallback', 'offer-406');
    const c = await nodeClient(whep.streams.fallback.url);
    assert.equal(c.res.status, 406);
    assert.match(c.res.headers.get('content-type') ?? '', /^application\/sdp/);
    const location = c.res.headers.get('location');
    assert.match(location ?? '', /^\/whep\/fallback\/sessions\/[0-9a-f]+$/);
    assert.equal(whep.openSessions('fallback'), 1);
    const [session] = whep.sessions({ stream: 'fallback' });
    assert.equal(session.counterOffer, true);
    assert.equal(session.answered, false);
    const wrong = await fetch(new URL(/** @type {string} */ (location), whep.url), {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/sdp' },
      body: 'nonsense',
    });
    assert.equal(wrong.status, 400);
    assert.equal((await fetch(new URL(/** @type {string} */ (location), whep.url), { method: 'DELETE' })).status, 200);
    assert.equal(whep.openSessions(), 0);
  });

  test('Chromium plays the primary red and the fallback blue; frames stop and resume on revive', async () => {
    await whep.reset();
    const page = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE));
    await new Promise((r) => page.listen(0, '127.0.0.1', () => r(undefined)));
    const browser = await chromium.launch({ executablePath: CHROME, args: CHROME_ARGS });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (page.address()).port}/`);
      /** @param {string} url */
      const play = (url) => tab.evaluate((u) => /** @type {any} */ (window).play(u), url);
      /** @param {number} id */
      const sample = (id) => tab.evaluate((i) => /** @type {any} */ (window).sample(i), id);

      const red = await play(whep.streams.primary.url);
      assert.equal(red.status, 201);
      assert.ok(red.link.includes(SSE_REL));
      const s = await until(
        async () => {
          const x = await sample(red.id);
          return x.t.frame && x.rgb ? x : null;
        },
        'first decoded frame in Chromium',
        8000,
        25,
      );
      figure('Chromium POST -> 201', s.t.answered - s.t.post);
      figure('Chromium POST -> first decoded frame', s.t.frame - s.t.post);
      const redPixel = await until(
        async () => {
          const x = await sample(red.id);
          return looksLike(x.rgb, 'red') ? x.rgb : null;
        },
        'a red centre pixel',
        3000,
        25,
      );
      console.log(`# figure  primary centre pixel rgb(${redPixel})`);

      const blue = await play(whep.streams.fallback.url);
      const bluePixel = await until(
        async () => {
          const x = await sample(blue.id);
          return looksLike(x.rgb, 'blue') ? x.rgb : null;
        },
        'a blue centre pixel',
        8000,
        25,
      );
      console.log(`# figure  fallback centre pixel rgb(${bluePixel})`);
      assert.equal(whep.openSessions(), 2);

      await whep.setFault('primary', 'publisher-gone');
      await sleep(300);
      const frozen = (await sample(red.id)).framesDecoded;
      await sleep(700);
      const still = await sample(red.id);
      assert.equal(still.framesDecoded, frozen, 'no frames decoded while the publisher is gone');
      assert.equal(still.connectionState, 'connected');
      const t0 = performance.now();
      await whep.setFault('primary', 'none');
      await until(async () => (await sample(red.id)).framesDecoded > frozen, 'frames after revive', 6000, 25);
      figure('Chromium: publisher restart -> frames decoded again (same session)', performance.now() - t0);

      await whep.setFault('fallback', 'cut');
      const t1 = performance.now();
      await until(async () => (await sample(blue.id)).connectionState === 'disconnected', 'disconnected after cut', 12000, 25);
      figure('Chromium: cut -> connectionState disconnected', performance.now() - t1);

      await tab.evaluate(
        async (ids) => {
          for (const id of ids) await /** @type {any} */ (window).stop(id);
        },
        [red.id, blue.id],
      );
      await until(() => whep.openSessions() === 0, 'sessions DELETEd by the page', 2000, 25);
    } finally {
      await browser.close();
      page.close();
    }
  });

  test('close() is quick with a hung POST and leaves no publisher running', async () => {
    await whep.reset();
    const c = await nodeClient(whep.streams.primary.url);
    // Connected first: werift keeps retrying a DTLS handshake cut half-way for ~30 s even after
    // pc.close(), which would hold this process open (not a server leak).
    await until(() => c.rx.packets > 0, 'packets', 4000, 25);
    await whep.setFault('fallback', 'hang');
    const hung = nodeClient(whep.streams.fallback.url).catch(() => null);
    await until(() => whep.log({ stream: 'fallback' }).length === 1, 'held POST', 2000, 25);
    const running = () => {
      try {
        return execFileSync('pgrep', ['-f', whep.tag], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    assert.equal(running(), 2, 'one publisher per stream');
    const t0 = performance.now();
    await whep.close();
    const ms = performance.now() - t0;
    figure('close() with an open session and a hung POST', ms);
    assert.ok(ms < 3000);
    assert.equal(running(), 0);
    await hung;
    await c.pc.close();
  });
});
