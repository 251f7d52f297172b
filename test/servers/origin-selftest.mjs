// Self-test of the live HLS test origin (hls-origin.mjs): starts it and checks the live
// playlist, the tfdt rewrite, every fault control and the edges (one stream through several
// CDNs) with real HTTP requests from Node.
//   node --test test/servers/origin-selftest.mjs     (or: node test/servers/origin-selftest.mjs)

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseFragment, parseInit } from './make-media.mjs';
import { until } from '../support/until.mjs';
import { startOrigin } from './hls-origin.mjs';

/**
 * @typedef {object} HttpResult
 * @property {number} status
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {Buffer} body
 * @property {number} ms   time until the whole body arrived
 */

/**
 * One request on a fresh connection (no pooling, so a hung or refused listener shows up as such).
 * Rejects with the socket error (e.g. code ECONNREFUSED / ECONNRESET).
 * @param {string} url
 * @param {{ method?: string, body?: string, headers?: Record<string, string>, timeout?: number }} [options]
 * @returns {Promise<HttpResult>}
 */
function request(url, { method = 'GET', body, headers = {}, timeout = 5000 } = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false, timeout }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: Date.now() - started }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Marks a request that is expected to fail later as handled now, so its rejection does not
 * count as unhandled before the test gets to assert.rejects it.
 * @template T
 * @param {Promise<T>} promise
 */
function expectFailureLater(promise) {
  promise.catch(() => {});
  return promise;
}

/**
 * Resolves 'pending' if the promise has not settled within ms (and keeps it from going unhandled).
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 */
async function settledWithin(promise, ms) {
  promise.catch(() => {});
  return Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    sleep(ms).then(() => 'pending'),
  ]);
}

/**
 * @param {string} text
 */
function mediaSequence(text) {
  const m = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  assert.ok(m, `no media sequence in:\n${text}`);
  return Number(m[1]);
}

/** @param {string} text */
function segmentNames(text) {
  return text.split('\n').filter((l) => l.endsWith('.m4s'));
}

/** @type {Awaited<ReturnType<typeof startOrigin>>} */
let origin;
/** @param {string} [stream] @param {string} [edge]  default: the stream's own URL (edge a) */
const playlistUrl = (stream = 'primary', edge) => (edge ? origin.streams[stream].edges[edge].url : origin.streams[stream].url);
/** @param {string} [stream] @param {string} [edge] */
const base = (stream = 'primary', edge) => playlistUrl(stream, edge).replace(/index\.m3u8$/, '');
/** @param {string} [stream] @param {string} [edge] */
const playlist = async (stream = 'primary', edge) => (await request(playlistUrl(stream, edge))).body.toString();
/**
 * @param {string} stream
 * @param {Record<string, unknown>} fault  may name an `edge`
 */
const control = async (stream, fault) => {
  const res = await request(`${origin.controlUrl}/control/${stream}`, {
    method: 'POST',
    body: JSON.stringify(fault),
    headers: { 'Content-Type': 'application/json' },
  });
  assert.equal(res.status, 200, res.body.toString());
  return JSON.parse(res.body.toString());
};

/**
 * Polls the playlist until its media sequence passes `than` (or gives up after `ms`).
 * @param {number} than
 * @param {number} [ms]
 */
function waitForSequenceAbove(than, ms = 2500) {
  return until(
    async () => {
      const seq = mediaSequence(await playlist());
      return seq > than ? seq : null;
    },
    `the media sequence passing ${than}`,
    ms,
    100,
  );
}

before(async () => {
  origin = await startOrigin();
});
after(async () => {
  await origin.close();
});
beforeEach(async () => {
  await origin.reset();
});

describe('live playlist', () => {
  test('is a live sliding window of 4 x 1 s fMP4 segments with CORS and no-store', async () => {
    const res = await request(origin.streams.primary.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['cache-control'], 'no-store');
    const text = res.body.toString();
    for (const tag of ['#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:1', '#EXT-X-MAP:URI="init.mp4"', '#EXT-X-INDEPENDENT-SEGMENTS']) {
      assert.ok(text.includes(tag), `missing ${tag}`);
    }
    assert.ok(!text.includes('#EXT-X-ENDLIST'));
    const seq = mediaSequence(text);
    assert.deepEqual(
      segmentNames(text),
      [0, 1, 2, 3].map((i) => `seg-${seq + i}.m4s`),
    );
    assert.equal(text.match(/#EXTINF:1\.000,/g)?.length, 4);
    const pdts = [...text.matchAll(/#EXT-X-PROGRAM-DATE-TIME:(.+)/g)].map((m) => Date.parse(m[1]));
    assert.deepEqual(
      pdts.map((t) => t - pdts[0]),
      [0, 1000, 2000, 3000],
    );
  });

  test('advances with wall-clock time, one segment per second', async () => {
    const first = mediaSequence(await playlist());
    const t0 = Date.now();
    const next = await waitForSequenceAbove(first);
    assert.equal(next, first + 1);
    assert.ok(Date.now() - t0 <= 1200, 'advanced within a segment duration');
  });

  test('serves init and window segments as video/mp4, 404 outside the window', async () => {
    const text = await playlist();
    const seq = mediaSequence(text);
    const init = await request(`${base()}init.mp4`);
    assert.equal(init.status, 200);
    assert.equal(init.headers['content-type'], 'video/mp4');
    const seg = await request(`${base()}seg-${seq + 3}.m4s`);
    assert.equal(seg.status, 200);
    assert.equal(seg.headers['content-type'], 'video/mp4');
    assert.equal(seg.headers['access-control-allow-origin'], '*');
    assert.equal((await request(`${base()}seg-${seq + 5}.m4s`)).status, 404, 'not yet published');
    if (seq > 0) assert.equal((await request(`${base()}seg-${seq - 1}.m4s`)).status, 404, 'slid out');
    const other = await request(`${base()}nope.txt`);
    assert.equal(other.status, 404);
    assert.equal(other.headers['access-control-allow-origin'], '*');
  });

  test('rewrites tfdt (every track) and mfhd so time keeps rising across loops', async () => {
    // A second origin whose streams "started" 20 s ago: its window is segments 16..19.
    const late = await startOrigin({ streams: { only: 'blue' }, startTime: Date.now() - 20_500 });
    try {
      const url = late.streams.only.url.replace(/index\.m3u8$/, '');
      const { tracks } = parseInit((await request(`${url}init.mp4`)).body);
      const defaults = new Map(tracks.map((t) => [t.id, t.defaultSampleDuration]));
      const text = (await request(late.streams.only.url)).body.toString();
      assert.equal(mediaSequence(text), 16);
      const [seg16, seg17] = await Promise.all([16, 17].map((n) => request(`${url}seg-${n}.m4s`)));
      const a = parseFragment(seg16.body, defaults);
      const b = parseFragment(seg17.body, defaults);
      for (const track of tracks) {
        const ta = a.tfdt.find((f) => f.trackId === track.id);
        const tb = b.tfdt.find((f) => f.trackId === track.id);
        assert.ok(ta && tb);
        // Segment 16 = source segment 0 two loops (16 s) later; 17 follows it seamlessly.
        assert.equal(ta.value, 16 * track.timescale, `${track.type} tfdt of seg-16`);
        assert.equal(tb.value, ta.value + ta.duration, `${track.type} seg-17 starts where seg-16 ends`);
      }
      assert.equal(seg16.body.readUInt32BE(a.mfhd[0]), 17);
    } finally {
      await late.close();
    }
  });

  test('answers OPTIONS preflights on stream and control servers', async () => {
    for (const url of [origin.streams.primary.url, `${origin.controlUrl}/control/primary`]) {
      const res = await request(url, { method: 'OPTIONS', headers: { Origin: 'http://x', 'Access-Control-Request-Method': 'POST' } });
      assert.equal(res.status, 204);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.match(String(res.headers['access-control-allow-methods']), /POST/);
    }
  });
});

describe('faults', () => {
  test('404: playlist, init and segments all 404 (set by GET query)', async () => {
    const seq = mediaSequence(await playlist());
    const set = await request(`${origin.controlUrl}/control/primary?kind=404`);
    assert.equal(JSON.parse(set.body.toString()).kind, '404');
    for (const path of ['index.m3u8', 'init.mp4', `seg-${seq + 3}.m4s`]) {
      const res = await request(`${base()}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers['access-control-allow-origin'], '*');
    }
    assert.equal((await request(origin.streams.fallback.url)).status, 200, 'other streams unaffected');
  });

  test('503 with Retry-After', async () => {
    await control('primary', { kind: '503', retryAfter: 2 });
    const res = await request(origin.streams.primary.url);
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '2');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    await control('primary', { kind: '503' });
    assert.equal((await request(`${base()}init.mp4`)).headers['retry-after'], undefined);
  });

  test('refuse closes the listener (ECONNREFUSED) and cuts open requests; none re-listens on the same port', async () => {
    const port = origin.streams.primary.port;
    await control('primary', { kind: 'hang' });
    const held = expectFailureLater(request(`${base()}init.mp4`));
    await sleep(100);
    const state = await control('primary', { kind: 'refuse' });
    assert.equal(state.kind, 'refuse');
    assert.equal(state.port, port);
    await assert.rejects(held, (/** @type {any} */ err) => ['ECONNRESET'].includes(err.code) || /hang up/.test(err.message));
    await assert.rejects(request(origin.streams.primary.url), { code: 'ECONNREFUSED' });
    assert.equal((await request(origin.streams.fallback.url)).status, 200, 'other streams unaffected');
    await control('primary', { kind: 'none' });
    assert.equal(origin.streams.primary.port, port);
    assert.equal((await request(origin.streams.primary.url)).status, 200);
  });

  test('hang: requests are held (logged with status 0) until the fault changes', async () => {
    await control('primary', { kind: 'hang' });
    const since = Date.now();
    const pending = expectFailureLater(request(origin.streams.primary.url));
    assert.equal(await settledWithin(pending, 600), 'pending');
    const log = origin.log({ stream: 'primary', since });
    assert.deepEqual(
      log.map((e) => [e.kind, e.status]),
      [['playlist', 0]],
    );
    await control('primary', { kind: 'none' });
    await assert.rejects(pending, (/** @type {any} */ err) => err.code === 'ECONNRESET' || /hang up/.test(err.message));
    assert.equal((await request(origin.streams.primary.url)).status, 200);
  });

  test('hang-segments: playlists keep advancing, init and segments hang', async () => {
    await control('primary', { kind: 'hang-segments' });
    const text = await playlist();
    const seq = mediaSequence(text);
    const seg = expectFailureLater(request(`${base()}seg-${seq + 3}.m4s`));
    const init = expectFailureLater(request(`${base()}init.mp4`));
    assert.equal(
      await settledWithin(
        Promise.all([seg, init]).catch(() => {}),
        500,
      ),
      'pending',
    );
    assert.equal(await settledWithin(seg, 0), 'pending');
    assert.equal(await settledWithin(init, 0), 'pending');
    await waitForSequenceAbove(seq);
    await origin.setFault('primary', { kind: 'none' });
    await assert.rejects(seg);
    await assert.rejects(init);
  });

  test('slow: every response is delayed by ms', async () => {
    await control('primary', { kind: 'slow', ms: 700 });
    const [pl, init] = await Promise.all([request(origin.streams.primary.url), request(`${base()}init.mp4`)]);
    for (const res of [pl, init]) {
      assert.equal(res.status, 200);
      assert.ok(res.ms >= 690 && res.ms < 1200, `took ${res.ms} ms`);
    }
    const state = JSON.parse((await request(`${origin.controlUrl}/control/primary`)).body.toString());
    assert.deepEqual([state.kind, state.ms], ['slow', 700]);
    await control('primary', { kind: 'slow' });
    assert.equal(origin.getFault('primary').ms, 3000, 'default delay');
  });

  test('hang-playlist: playlists are held, init and segments still served', async () => {
    const seq = mediaSequence(await playlist());
    await control('primary', { kind: 'hang-playlist' });
    const since = Date.now();
    const pending = expectFailureLater(request(origin.streams.primary.url));
    assert.equal(await settledWithin(pending, 600), 'pending');
    assert.equal((await request(`${base()}init.mp4`)).status, 200);
    assert.equal((await request(`${base()}seg-${seq + 3}.m4s`)).status, 200);
    const log = origin.log({ stream: 'primary', since });
    assert.deepEqual(
      log.map((e) => [e.kind, e.status]),
      [
        ['playlist', 0],
        ['init', 200],
        ['segment', 200],
      ],
    );
    await control('primary', { kind: 'none' });
    await assert.rejects(pending, (/** @type {any} */ err) => err.code === 'ECONNRESET' || /hang up/.test(err.message));
  });

  test('slow-segments: init and segments delayed by ms, playlists on time', async () => {
    const seq = mediaSequence(await playlist());
    await control('primary', { kind: 'slow-segments', ms: 700 });
    const [pl, init, seg] = await Promise.all([
      request(origin.streams.primary.url),
      request(`${base()}init.mp4`),
      request(`${base()}seg-${seq + 3}.m4s`),
    ]);
    assert.equal(pl.status, 200);
    assert.ok(pl.ms < 300, `playlist took ${pl.ms} ms`);
    for (const res of [init, seg]) {
      assert.equal(res.status, 200);
      assert.ok(res.ms >= 690 && res.ms < 1200, `took ${res.ms} ms`);
    }
    await control('primary', { kind: 'slow-segments' });
    assert.equal(origin.getFault('primary').ms, 3000, 'default delay');
  });

  test('corrupt: segments are garbage of the real length; playlist and init intact', async () => {
    const text = await playlist();
    const seq = mediaSequence(text);
    const good = await request(`${base()}seg-${seq + 3}.m4s`);
    const goodInit = await request(`${base()}init.mp4`);
    await control('primary', { kind: 'corrupt' });
    const pl = await request(origin.streams.primary.url);
    assert.equal(pl.status, 200);
    assert.ok(!pl.body.toString().includes('#EXT-X-ENDLIST'));
    assert.deepEqual(segmentNames(pl.body.toString()).length, 4);
    assert.deepEqual((await request(`${base()}init.mp4`)).body, goodInit.body, 'init untouched');
    const bad = await request(`${base()}seg-${seq + 3}.m4s`);
    assert.equal(bad.status, 200);
    assert.equal(bad.headers['content-type'], 'video/mp4');
    assert.equal(bad.body.length, good.body.length, 'plausible length');
    assert.notDeepEqual(bad.body, good.body);
    // No ISO BMFF box where the fragment's boxes were (a real fragment starts with styp/moof).
    assert.ok(!['styp', 'moof', 'sidx'].includes(bad.body.subarray(4, 8).toString('latin1')), 'not a valid fragment');
    assert.ok(!good.body.includes(bad.body.subarray(0, 64)), 'not shifted real bytes');
    await control('primary', { kind: 'none' });
    assert.deepEqual((await request(`${base()}seg-${seq + 3}.m4s`)).body, good.body, 'healthy again');
  });

  test('cors: no Access-Control-Allow-Origin on any response (preflight included), bodies still served', async () => {
    const seq = mediaSequence(await playlist());
    await control('primary', { kind: 'cors' });
    for (const path of ['index.m3u8', 'init.mp4', `seg-${seq + 3}.m4s`]) {
      const res = await request(`${base()}${path}`, { headers: { Origin: 'http://page.example' } });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['access-control-allow-origin'], undefined, path);
    }
    const preflight = await request(origin.streams.primary.url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://x', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.equal((await request(origin.streams.fallback.url)).headers['access-control-allow-origin'], '*', 'other streams unaffected');
    await control('primary', { kind: 'none' });
    assert.equal((await request(origin.streams.primary.url)).headers['access-control-allow-origin'], '*');
  });

  test('freeze: the playlist stops advancing, its segments stay served; none resumes at wall-clock', async () => {
    await control('primary', { kind: 'freeze' });
    const frozen = await playlist();
    await sleep(1200);
    assert.equal(await playlist(), frozen);
    const seq = mediaSequence(frozen);
    assert.equal((await request(`${base()}seg-${seq}.m4s`)).status, 200, 'frozen window still served');
    assert.ok(!frozen.includes('#EXT-X-ENDLIST'));
    await control('primary', { kind: 'none' });
    assert.ok(mediaSequence(await playlist()) >= seq + 1, 'jumped to the live position');
  });

  test('endlist: frozen with #EXT-X-ENDLIST; none goes live again', async () => {
    const seq = mediaSequence(await playlist());
    await control('primary', { kind: 'endlist' });
    const ended = await playlist();
    assert.ok(ended.trimEnd().endsWith('#EXT-X-ENDLIST'));
    assert.ok(mediaSequence(ended) - seq <= 1);
    await sleep(1100);
    assert.equal(await playlist(), ended);
    await control('primary', { kind: 'none' });
    const live = await playlist();
    assert.ok(!live.includes('#EXT-X-ENDLIST'));
    assert.ok(mediaSequence(live) > mediaSequence(ended));
  });

  test('reset: every stream healthy and listening again, log cleared', async () => {
    await control('primary', { kind: 'refuse' });
    await control('fallback', { kind: '503' });
    await control('spare', { kind: 'hang' });
    const held = expectFailureLater(request(origin.streams.spare.url));
    await sleep(50);
    const res = await request(`${origin.controlUrl}/reset`, { method: 'POST' });
    assert.equal(res.status, 200);
    await assert.rejects(held);
    assert.deepEqual(origin.log(), []);
    for (const name of ['primary', 'fallback', 'spare']) {
      assert.equal((await request(origin.streams[name].url)).status, 200, name);
      assert.equal(origin.getFault(name).kind, 'none');
    }
    assert.equal((await request(`${origin.controlUrl}/reset`)).status, 200, 'GET /reset works too');
  });
});

describe('edges', () => {
  /**
   * The playlists of every edge of a stream, fetched together; retried when a second boundary
   * fell between the requests (the edges would then rightly list different windows).
   * @param {string} [stream]
   */
  async function playlistsTogether(stream = 'primary') {
    for (let attempt = 0; ; attempt++) {
      const texts = await Promise.all(Object.keys(origin.streams[stream].edges).map((edge) => playlist(stream, edge)));
      if (attempt === 2 || texts.every((t) => mediaSequence(t) === mediaSequence(texts[0]))) return texts;
    }
  }

  test("two edges a and b per stream, each on its own port; edge a is the stream's own URL", async () => {
    assert.deepEqual(origin.edges, ['a', 'b']);
    const ports = new Set();
    for (const info of Object.values(origin.streams)) {
      assert.deepEqual(Object.keys(info.edges), ['a', 'b']);
      assert.equal(info.edges.a.url, info.url);
      assert.equal(info.edges.a.port, info.port);
      assert.equal(info.edges.b.url, `http://127.0.0.1:${info.edges.b.port}/live/index.m3u8`);
      ports.add(info.edges.a.port).add(info.edges.b.port);
    }
    assert.equal(ports.size, 6, 'six listeners');
  });

  test('both edges serve the same window: same playlist, same init, same segment bytes', async () => {
    const [a, b] = await playlistsTogether();
    assert.equal(a, b);
    const seq = mediaSequence(a);
    const [initA, initB, segA, segB] = await Promise.all([
      request(`${base('primary', 'a')}init.mp4`),
      request(`${base('primary', 'b')}init.mp4`),
      request(`${base('primary', 'a')}seg-${seq + 3}.m4s`),
      request(`${base('primary', 'b')}seg-${seq + 3}.m4s`),
    ]);
    assert.deepEqual(initA.body, initB.body);
    assert.equal(segB.status, 200);
    assert.deepEqual(segA.body, segB.body);
    assert.equal(segB.headers['access-control-allow-origin'], '*');
  });

  test('a fault without an edge is on every edge (404 takes the whole stream down)', async () => {
    await request(`${origin.controlUrl}/control/primary?kind=404`);
    for (const edge of ['a', 'b']) assert.equal((await request(playlistUrl('primary', edge))).status, 404, edge);
    assert.equal(origin.getFault('primary').kind, '404');
    assert.equal(origin.getFault('primary', { edge: 'b' }).kind, '404');
  });

  test('404 on edge b leaves edge a serving; none on edge b clears it', async () => {
    const set = await request(`${origin.controlUrl}/control/primary?kind=404&edge=b`);
    assert.equal(set.status, 200);
    const state = JSON.parse(set.body.toString());
    assert.deepEqual([state.stream, state.edge, state.kind, state.port], ['primary', 'b', '404', origin.streams.primary.edges.b.port]);
    assert.equal((await request(playlistUrl('primary', 'b'))).status, 404);
    assert.equal((await request(`${base('primary', 'b')}init.mp4`)).status, 404);
    assert.equal((await request(playlistUrl('primary', 'a'))).status, 200, 'edge a unaffected');
    assert.equal((await request(`${base('primary', 'a')}init.mp4`)).status, 200);
    assert.equal(origin.getFault('primary', { edge: 'a' }).kind, 'none');
    assert.equal(origin.getFault('primary', { edge: 'b' }).kind, '404');
    assert.equal(origin.getFault('primary').kind, 'mixed', 'no single fault describes the stream');
    const stream = JSON.parse((await request(`${origin.controlUrl}/control/primary`)).body.toString());
    assert.deepEqual(
      [stream.kind, stream.encoder.kind, stream.edges.a.kind, stream.edges.b.kind, stream.edges.b.port],
      ['mixed', 'none', 'none', '404', origin.streams.primary.edges.b.port],
    );
    const list = JSON.parse((await request(`${origin.controlUrl}/control`)).body.toString());
    assert.equal(
      list.find((/** @type {any} */ s) => s.stream === 'primary').edges.b.kind,
      '404',
      'GET /control lists faults per edge',
    );
    await control('primary', { kind: 'none', edge: 'b' });
    assert.equal((await request(playlistUrl('primary', 'b'))).status, 200);
    assert.equal(origin.getFault('primary').kind, 'none');
  });

  test('delivery faults differ per edge: corrupt on a, 503 on b, with the JS API', async () => {
    const seq = mediaSequence(await playlist());
    const good = await request(`${base('primary', 'a')}seg-${seq + 3}.m4s`);
    assert.deepEqual(await origin.setFault('primary', 'corrupt', { edge: 'a' }), { kind: 'corrupt' });
    await origin.setFault('primary', { kind: '503', retryAfter: 5 }, { edge: 'b' });
    const bad = await request(`${base('primary', 'a')}seg-${seq + 3}.m4s`);
    assert.equal(bad.body.length, good.body.length);
    assert.notDeepEqual(bad.body, good.body);
    const b = await request(playlistUrl('primary', 'b'));
    assert.deepEqual([b.status, b.headers['retry-after']], [503, '5']);
    assert.deepEqual(origin.getFault('primary', { edge: 'b' }), { kind: '503', retryAfter: 5 });
    // A fault without an edge is the stream's whole state again, as a single fault was.
    await origin.setFault('primary', 'slow', {});
    assert.deepEqual(origin.getFault('primary'), { kind: 'slow', ms: 3000 });
    assert.deepEqual(origin.getFault('primary', { edge: 'a' }), { kind: 'slow', ms: 3000 });
  });

  test('freeze freezes both edges (and clears their delivery faults); none resumes both', async () => {
    await control('primary', { kind: '404', edge: 'b' });
    await control('primary', { kind: 'freeze' });
    assert.equal(origin.getFault('primary').kind, 'freeze');
    assert.equal(origin.getFault('primary', { edge: 'b' }).kind, 'none', 'a stream-wide fault replaces edge faults');
    const [a, b] = await playlistsTogether();
    await sleep(1200);
    const [a2, b2] = await playlistsTogether();
    assert.equal(a, b, 'the edges agree');
    assert.equal(a2, a, 'edge a frozen');
    assert.equal(b2, b, 'edge b frozen');
    // A delivery fault on one edge on top of the frozen encoder: the other still serves the frozen window.
    await control('primary', { kind: 'hang-segments', edge: 'b' });
    assert.equal(await playlist('primary', 'a'), a);
    assert.equal(origin.getFault('primary').kind, 'mixed');
    await control('primary', { kind: 'none' });
    const [a3, b3] = await playlistsTogether();
    assert.ok(mediaSequence(a3) > mediaSequence(a) && mediaSequence(b3) > mediaSequence(b), 'both live again');
    assert.equal(origin.getFault('primary', { edge: 'b' }).kind, 'none', 'none without an edge clears every edge');
  });

  test('endlist: both edges end', async () => {
    await control('primary', { kind: 'endlist' });
    const [a, b] = await playlistsTogether();
    assert.ok(a.trimEnd().endsWith('#EXT-X-ENDLIST') && b.trimEnd().endsWith('#EXT-X-ENDLIST'));
  });

  test('an edge with freeze or endlist is refused (400, thrown Error); so is an unknown edge', async () => {
    for (const kind of /** @type {const} */ (['freeze', 'endlist'])) {
      const byQuery = await request(`${origin.controlUrl}/control/primary?kind=${kind}&edge=b`);
      assert.equal(byQuery.status, 400, kind);
      assert.match(JSON.parse(byQuery.body.toString()).error, /encoder/);
      const byBody = await request(`${origin.controlUrl}/control/primary`, {
        method: 'POST',
        body: JSON.stringify({ kind, edge: 'a' }),
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(byBody.status, 400, kind);
      assert.equal(byBody.headers['access-control-allow-origin'], '*');
      await assert.rejects(origin.setFault('primary', kind, { edge: 'b' }), /encoder/);
    }
    assert.equal((await request(`${origin.controlUrl}/control/primary?kind=404&edge=c`)).status, 400);
    assert.equal((await request(`${origin.controlUrl}/control/primary?edge=c`)).status, 400);
    await assert.rejects(origin.setFault('primary', '404', { edge: 'c' }), /unknown edge 'c'/);
    assert.throws(() => origin.getFault('primary', { edge: 'c' }), /unknown edge/);
    assert.equal(origin.getFault('primary').kind, 'none', 'nothing changed');
    assert.equal((await request(playlistUrl('primary', 'b'))).status, 200);
  });

  test('log entries carry the edge; /log filters by stream and edge', async () => {
    const since = Date.now();
    await request(playlistUrl('primary', 'a'));
    await request(`${base('primary', 'b')}init.mp4`);
    await request(playlistUrl('fallback', 'b'));
    assert.deepEqual(
      origin.log({ since }).map((e) => [e.stream, e.edge, e.kind]),
      [
        ['primary', 'a', 'playlist'],
        ['primary', 'b', 'init'],
        ['fallback', 'b', 'playlist'],
      ],
    );
    const onB = JSON.parse((await request(`${origin.controlUrl}/log?since=${since}&stream=primary&edge=b`)).body.toString());
    assert.deepEqual(
      onB.map((/** @type {any} */ e) => [e.stream, e.edge, e.path]),
      [['primary', 'b', '/live/init.mp4']],
    );
    const allB = JSON.parse((await request(`${origin.controlUrl}/log?since=${since}&edge=b`)).body.toString());
    assert.equal(allB.length, 2);
    assert.deepEqual(
      origin.log({ since, edge: 'a' }).map((e) => e.path),
      ['/live/index.m3u8'],
    );
  });

  test('refuse on edge b closes only its listener and cuts its open requests; none on b re-listens on the same port', async () => {
    const { a, b } = origin.streams.primary.edges;
    await control('primary', { kind: 'hang', edge: 'b' });
    const held = expectFailureLater(request(b.url));
    await sleep(100);
    const state = await control('primary', { kind: 'refuse', edge: 'b' });
    assert.deepEqual([state.edge, state.kind, state.port], ['b', 'refuse', b.port]);
    await assert.rejects(held, (/** @type {any} */ err) => err.code === 'ECONNRESET' || /hang up/.test(err.message));
    await assert.rejects(request(b.url), { code: 'ECONNREFUSED' });
    assert.equal((await request(a.url)).status, 200, 'edge a still listening');
    await control('primary', { kind: 'none', edge: 'b' });
    assert.equal(origin.streams.primary.edges.b.port, b.port);
    assert.equal((await request(b.url)).status, 200);
  });

  test('reset clears every edge', async () => {
    await control('primary', { kind: 'refuse', edge: 'b' });
    await control('fallback', { kind: 'hang', edge: 'a' });
    await request(`${origin.controlUrl}/reset`);
    for (const name of ['primary', 'fallback']) {
      for (const edge of ['a', 'b']) {
        assert.equal((await request(playlistUrl(name, edge))).status, 200, `${name} ${edge}`);
        assert.equal(origin.getFault(name, { edge }).kind, 'none');
      }
    }
  });

  test('edges option: any URL-safe names, at least one', async () => {
    const one = await startOrigin({ streams: { only: 'green' }, edges: ['cdn-x', 'cdn_y', 'z'] });
    try {
      assert.deepEqual(Object.keys(one.streams.only.edges), ['cdn-x', 'cdn_y', 'z']);
      assert.equal(one.streams.only.url, one.streams.only.edges['cdn-x'].url);
      await one.setFault('only', '404', { edge: 'z' });
      assert.equal((await request(one.streams.only.edges.z.url)).status, 404);
      assert.equal((await request(one.streams.only.edges.cdn_y.url)).status, 200);
      assert.deepEqual(
        one.log().map((e) => e.edge),
        ['z', 'cdn_y'],
      );
    } finally {
      await one.close();
    }
    await assert.rejects(startOrigin({ edges: [] }), /at least one edge/);
    await assert.rejects(startOrigin({ edges: ['a/b'] }), /URL-safe/);
    await assert.rejects(startOrigin({ edges: ['a', 'a'] }), /distinct/);
    await assert.rejects(startOrigin({ streams: { s: { colour: 'red', ports: { c: 9 } } } }), /unknown edges: c/);
  });
});

describe('control server', () => {
  test('request log: kinds, statuses, stream and since filters; control requests not logged', async () => {
    const since = Date.now();
    await request(origin.streams.primary.url);
    await request(`${base()}init.mp4`);
    await request(`${base()}seg-999999.m4s`);
    await request(`${base()}favicon.ico`);
    await request(origin.streams.fallback.url);
    const res = await request(`${origin.controlUrl}/log?stream=primary&since=${since}`);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const entries = JSON.parse(res.body.toString());
    assert.deepEqual(
      entries.map((/** @type {any} */ e) => [e.stream, e.kind, e.path, e.status]),
      [
        ['primary', 'playlist', '/live/index.m3u8', 200],
        ['primary', 'init', '/live/init.mp4', 200],
        ['primary', 'segment', '/live/seg-999999.m4s', 404],
        ['primary', 'other', '/live/favicon.ico', 404],
      ],
    );
    assert.ok(entries.every((/** @type {any} */ e) => e.t >= since));
    const all = JSON.parse((await request(`${origin.controlUrl}/log?since=${since}`)).body.toString());
    assert.equal(all.length, 5);
    assert.equal(JSON.parse((await request(`${origin.controlUrl}/log?since=${Date.now() + 1000}`)).body.toString()).length, 0);
    assert.ok(origin.log().every((e) => !e.path.startsWith('/control') && e.kind !== undefined));
  });

  test('GET /control/<stream>, /control, /health, /poster.png and errors', async () => {
    const state = JSON.parse((await request(`${origin.controlUrl}/control/spare`)).body.toString());
    assert.deepEqual(
      { kind: state.kind, port: state.port, colour: state.colour },
      { kind: 'none', port: origin.streams.spare.port, colour: 'green' },
    );
    const list = JSON.parse((await request(`${origin.controlUrl}/control`)).body.toString());
    assert.deepEqual(
      list.map((/** @type {any} */ s) => s.stream),
      ['primary', 'fallback', 'spare'],
    );
    assert.equal((await request(`${origin.controlUrl}/health`)).status, 200);
    const poster = await request(origin.posterUrl);
    assert.equal(poster.status, 200);
    assert.equal(poster.headers['content-type'], 'image/png');
    assert.equal(poster.headers['access-control-allow-origin'], '*');
    assert.equal(poster.body.subarray(1, 4).toString(), 'PNG');
    assert.equal((await request(`${origin.controlUrl}/control/nope?kind=404`)).status, 404);
    const bad = await request(`${origin.controlUrl}/control/primary?kind=explode`);
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['access-control-allow-origin'], '*');
    assert.equal(origin.getFault('primary').kind, 'none');
    await assert.rejects(origin.setFault('nope', { kind: '404' }), /unknown stream/);
  });
});

test('close() resolves quickly with hung and slow requests open, and frees the ports', async () => {
  const extra = await startOrigin({ streams: { a: 'red', b: 'green' } });
  await extra.setFault('a', { kind: 'hang' });
  await extra.setFault('b', { kind: 'slow', ms: 10_000 });
  const hung = expectFailureLater(request(extra.streams.a.url));
  const slow = expectFailureLater(request(extra.streams.b.url));
  await sleep(100);
  const t0 = Date.now();
  await extra.close();
  assert.ok(Date.now() - t0 < 300, `close took ${Date.now() - t0} ms`);
  await assert.rejects(hung);
  await assert.rejects(slow);
  await assert.rejects(request(extra.streams.a.url), { code: 'ECONNREFUSED' });
  await assert.rejects(request(extra.streams.a.edges.b.url), { code: 'ECONNREFUSED' }, 'every edge closed');
  await assert.rejects(request(`${extra.controlUrl}/health`), { code: 'ECONNREFUSED' });
});
