/**
 * WebRTC (WHEP) when the viewer's network changes, or the server asks for a new session:
 * real Chromium against the real WHEP server (werift). The server's `move` fault drops every
 * address the session's client used so far, as if the viewer's network had changed under it;
 * the player must restart ICE (PATCH) and keep the same picture, without a failover. Without
 * PATCH support it opens a new session on the same endpoint, make before break. The SSE
 * `reconnect` event and a 406 counter-offer are the server's own moves, as are a 307 redirect
 * of the POST and an ICE server named by `Link: rel="ice-server"`. The screen is read from
 * screenshots all along; after each test the server counts no open session.
 */
import { expect } from '@open-wc/testing';
import {
  expectSteady,
  mountPlaying,
  recordFigure,
  recordStates,
  seen,
  type Seen,
  setWhepFault,
  sleep,
  until,
  useFreshServers,
  waitForSeen,
  waitForState,
  whep,
  whepLog,
} from './helpers.js';
import type { LivePlayer } from '../../src/live-player.js';

interface ServerSession {
  id: string;
  stream: string;
  location: string;
  createdAt: number;
  closedAt: number | null;
  closedBy: string | null;
  moved: boolean;
  iceRestarts: number;
  counterOffer: boolean;
}

async function serverSessions(stream: 'primary' | 'fallback'): Promise<ServerSession[]> {
  const { controlUrl } = await whep();
  const all: ServerSession[] = (await (await fetch(`${controlUrl}/sessions`)).json()).sessions;
  return all.filter((s) => s.stream === stream);
}

/** Screenshots back to back until stopped: what the viewer saw, in order. */
function watchScreen() {
  const samples: { at: number; seen: Seen }[] = [];
  let on = true;
  const done = (async () => {
    while (on) samples.push({ at: performance.now(), seen: await seen() });
  })();
  return {
    samples,
    async stop() {
      on = false;
      await done;
      return samples;
    },
  };
}

/** Frames presented by the visible video (requestVideoFrameCallback), as performance.now() times. */
function watchFrames(player: LivePlayer) {
  const times: number[] = [];
  let on = true;
  const video = player.shadowRoot!.querySelector<HTMLVideoElement>('video[data-visible]');
  if (!video) throw new Error('no visible video');
  const next = () =>
    video.requestVideoFrameCallback((now) => {
      times.push(now);
      if (on) next();
    });
  next();
  return {
    times,
    stop() {
      on = false;
    },
    /** From `since` to the first frame after the longest gap that ends after it. */
    recoveryAfter(since: number): number | null {
      let best: { gap: number; at: number } | null = null;
      for (let i = 1; i < times.length; i += 1) {
        if (times[i] <= since) continue;
        const gap = times[i] - Math.max(times[i - 1], since);
        if (!best || gap > best.gap) best = { gap, at: times[i] };
      }
      return best ? Math.round(best.at - since) : null;
    },
  };
}

interface Watched {
  /** The session open before the disturbance. */
  before: ServerSession;
  /** Date.now() just before it (for the server's log). */
  wallClock: number;
  /** performance.now() then (for the frames). */
  faultAt: number;
  /** From the disturbance to frames flowing again, when the frames were watched. */
  recovery: number | null;
}

/**
 * Watches a player on its primary (its states, failover events, the screen and, with
 * `frames`, the frames presented) while `act` disturbs its session, then checks that the
 * viewer saw nothing of it: still `primary`, no state change, no failover, the screen red all
 * along (`screenSays` names how).
 */
async function undisturbed(
  player: LivePlayer,
  act: (before: ServerSession) => Promise<unknown>,
  screenSays: string,
  { frames: watchingFrames = false } = {},
): Promise<Watched> {
  const failovers: Event[] = [];
  player.addEventListener('failover', (event) => failovers.push(event));
  const statesBefore = recordStates(player).length;
  const before = (await serverSessions('primary')).find((s) => !s.closedAt)!;

  const frames = watchingFrames ? watchFrames(player) : null;
  const screen = watchScreen();
  const wallClock = Date.now();
  const faultAt = performance.now();
  await act(before);
  frames?.stop();
  const samples = await screen.stop();

  expect(player.state).to.equal('primary');
  expect(recordStates(player).length, 'no state change').to.equal(statesBefore);
  expect(failovers, 'no failover').to.have.length(0);
  expect(
    samples.map((s) => s.seen).filter((s) => s !== 'red'),
    screenSays,
  ).to.deep.equal([]);
  return { before, wallClock, faultAt, recovery: frames?.recoveryAfter(faultAt) ?? null };
}

/** The server closed the session open before (the player DELETEd it). */
const oldSessionClosed = (before: ServerSession) =>
  until(async () => (await serverSessions('primary')).some((s) => s.id === before.id && s.closedAt), 'the old session DELETEd', 8000);

const playing = (attributes: Record<string, string | boolean>, properties = {}) =>
  mountPlaying(attributes, properties, { steady: true });

describe('WebRTC (WHEP) when the network changes', function () {
  this.timeout(120000);
  useFreshServers({ whepSessions: 'closed' });

  it('restarts ICE when the session is moved: the same session, no failover, the same picture', async () => {
    const { streams } = await whep();
    const token = 'restart-token-42';
    await setWhepFault('primary', 'require-token', { token });
    const player = await playing({ primary: streams.primary, fallback: streams.fallback }, { primaryToken: token });

    const { before, wallClock, recovery } = await undisturbed(
      player,
      async () => {
        await setWhepFault('primary', 'move');
        await until(
          async () => (await serverSessions('primary')).some((s) => s.iceRestarts > 0),
          'an ICE restart on the server',
          5000,
        );
        await sleep(2500);
      },
      'the screen stays red (at most a freeze)',
      { frames: true },
    );
    expect(recovery, 'frames flow again').to.be.a('number');
    const sessions = await serverSessions('primary');
    expect(
      sessions.filter((s) => !s.closedAt).map((s) => s.id),
      'the same session',
    ).to.deep.equal([before.id]);
    const log = await whepLog(wallClock, 'primary');
    const patch = log.find((entry) => entry.method === 'PATCH');
    expect(patch?.status, 'PATCH answered 200').to.equal(200);
    expect((patch as { token?: boolean } | undefined)?.token, 'the PATCH carries the token').to.equal(true);
    expect(
      log.filter((entry) => entry.method === 'POST'),
      'no new session',
    ).to.have.length(0);
    expect(player.outerHTML + player.shadowRoot!.innerHTML).to.not.contain(token);
    await recordFigure({ figure: 'whep-ice-restart-recovery', ms: recovery });
  });

  it('opens a new session on the same endpoint when the server has no PATCH (405), make before break', async () => {
    const { streams } = await whep();
    const player = await playing({ primary: streams.primary, fallback: streams.fallback });

    const { before, wallClock, recovery } = await undisturbed(
      player,
      async (before) => {
        await setWhepFault('primary', 'move');
        await setWhepFault('primary', 'no-patch');
        await oldSessionClosed(before);
        await sleep(1500);
      },
      'the screen stays red, no black in the swap',
      { frames: true },
    );
    const log = await whepLog(wallClock, 'primary');
    expect(log.filter((e) => e.method === 'PATCH').map((e) => e.status)).to.deep.equal([405]);
    expect(log.filter((e) => e.method === 'POST' && e.path === new URL(streams.primary).pathname).map((e) => e.status)).to.include(
      201,
    );
    const sessions = await serverSessions('primary');
    expect(sessions.find((s) => s.id === before.id)?.closedBy, 'the old session was DELETEd').to.equal('delete');
    expect(
      sessions.filter((s) => !s.closedAt),
      'one open session, the new one',
    ).to.have.length(1);
    await expectSteady('red');
    await recordFigure({ figure: 'whep-new-session-recovery', ms: recovery });
  });

  it("the server's reconnect event: a new session at the same endpoint, make before break", async () => {
    const { streams } = await whep();
    const player = await playing({ primary: streams.primary, fallback: streams.fallback });

    const { before, wallClock } = await undisturbed(
      player,
      async (before) => {
        await setWhepFault('primary', 'reconnect');
        await oldSessionClosed(before);
        await sleep(1000);
      },
      'the screen stays red',
    );
    const log = await whepLog(wallClock, 'primary');
    const post = log.find((e) => e.method === 'POST' && !e.path.endsWith('/sse'));
    const del = log.find((e) => e.method === 'DELETE' && e.path === before.location);
    expect(post?.path).to.equal(new URL(streams.primary).pathname);
    expect(del, 'the old session DELETEd').to.not.equal(undefined);
    expect(del!.t, 'after the new session was there').to.be.greaterThan(post!.t);
    await expectSteady('red');
  });

  it("the server's reconnect event with a url: a new session there (with the token: same origin)", async () => {
    const { streams } = await whep();
    const token = 'reconnect-token-7';
    await setWhepFault('primary', 'require-token', { token });
    const player = await playing({ primary: streams.primary, fallback: streams.fallback }, { primaryToken: token });

    const alias = `${streams.primary}/alias`;
    const { wallClock } = await undisturbed(
      player,
      async (before) => {
        await setWhepFault('primary', 'reconnect', { url: alias });
        await oldSessionClosed(before);
        await sleep(1000);
      },
      'the screen stays red',
    );
    const log = await whepLog(wallClock, 'primary');
    const posts = log.filter((e) => e.method === 'POST' && !e.path.endsWith('/sse'));
    expect(posts.map((e) => [e.path, e.status])).to.deep.equal([[new URL(alias).pathname, 201]]);
    expect(posts[0].token, 'same origin: the token goes along').to.equal(true);
    expect(player.source?.url, 'the endpoint the page configured is still the source').to.equal(streams.primary);
    await expectSteady('red');
  });

  it("a 406 counter-offer: the player answers the server's offer (PATCH) and plays", async () => {
    const { streams } = await whep();
    await setWhepFault('primary', 'offer-406');
    const wallClock = Date.now();
    await playing({ primary: streams.primary, fallback: streams.fallback });
    const log = await whepLog(wallClock, 'primary');
    expect(
      log.some((e) => e.method === 'POST' && e.status === 406),
      'a 406',
    ).to.equal(true);
    expect(
      log.some((e) => e.method === 'PATCH' && e.status === 204),
      'the answer PATCHed',
    ).to.equal(true);
    const open = (await serverSessions('primary')).filter((s) => !s.closedAt);
    expect(open.map((s) => s.counterOffer)).to.deep.equal([true]);
  });

  it("a 307 redirect of the POST: the session's URLs are the redirected server's, and it is DELETEd there", async () => {
    const { streams } = await whep();
    const server = new URL(streams.primary);
    // Another name for this server: the redirect answers with its 127.0.0.1 address.
    const endpoint = `http://localhost:${server.port}${server.pathname}/redirect`;
    const wallClock = Date.now();
    const player = await playing({ primary: endpoint, fallback: streams.fallback });
    await expectSteady('red');
    player.remove();
    await until(async () => (await serverSessions('primary')).every((s) => s.closedAt), 'the session DELETEd', 8000);

    const log = (await whepLog(wallClock, 'primary')).filter((e) => e.method !== 'OPTIONS');
    const posts = log.filter((e) => e.method === 'POST').map((e) => [e.host, e.path, e.status]);
    expect(posts.slice(0, 2), 'redirected, then answered').to.deep.equal([
      [`localhost:${server.port}`, `${server.pathname}/redirect`, 307],
      [server.host, server.pathname, 201],
    ]);
    const resource = log.filter((e) => e.method === 'DELETE' || e.path.endsWith('/sse'));
    expect(resource.length, 'events and DELETE on the session').to.be.at.least(2);
    expect(
      resource.map((e) => e.host),
      'at the server redirected to',
    ).to.deep.equal(resource.map(() => server.host));
  });

  it('an ICE server named by the answer (Link rel="ice-server") is used by the ICE restart', async () => {
    const { streams } = await whep();
    const player = await playing({ primary: `${streams.primary}?ice-server=stun`, fallback: streams.fallback });
    const beforeMove = Date.now();

    const { wallClock } = await undisturbed(
      player,
      async () => {
        await setWhepFault('primary', 'move');
        await until(
          async () => (await whepLog(beforeMove, 'primary')).some((e) => e.method === 'PATCH' && e.status === 200),
          'an ICE restart',
          8000,
        );
        await sleep(1000);
      },
      'the screen stays red',
    );
    const stun = (await whepLog(wallClock)).filter((e) => e.method === 'STUN');
    expect(stun.length, 'Binding requests to the named STUN server during the restart').to.be.at.least(1);
    expect(stun[0].host).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it('a moved session set up by a counter-offer: the restart is refused (422), a new session, make before break', async () => {
    const { streams } = await whep();
    await setWhepFault('primary', 'offer-406');
    const player = await playing({ primary: streams.primary, fallback: streams.fallback });

    const { before, wallClock } = await undisturbed(
      player,
      async (before) => {
        expect(before.counterOffer, 'the session came from a 406').to.equal(true);
        await setWhepFault('primary', 'move');
        await oldSessionClosed(before);
        await sleep(1500);
      },
      'the screen stays red, no black in the swap',
    );
    const log = await whepLog(wallClock, 'primary');
    expect(
      log.filter((e) => e.method === 'PATCH').map((e) => e.status),
      'the ICE restart, refused',
    ).to.deep.equal([422]);
    expect(log.filter((e) => e.method === 'POST' && e.path === new URL(streams.primary).pathname).map((e) => e.status)).to.include(
      201,
    );
    const sessions = await serverSessions('primary');
    expect(sessions.find((s) => s.id === before.id)?.closedBy, 'the old session was DELETEd').to.equal('delete');
    expect(
      sessions.filter((s) => !s.closedAt).map((s) => s.counterOffer),
      'one open session, the new one',
    ).to.deep.equal([false]);
    await expectSteady('red');
  });

  it('a moved session whose restart cannot get through (cut) fails over within the grace', async () => {
    const { streams } = await whep();
    const player = await playing({ primary: streams.primary, fallback: streams.fallback });
    const faultAt = performance.now();
    await setWhepFault('primary', 'cut');
    await waitForState(player, 'fallback', 20000);
    const failedAfter = Math.round(performance.now() - faultAt);
    await waitForSeen('blue', 20000);
    const log = await whepLog(Date.now() - failedAfter - 1000, 'primary');
    expect(
      log.some((e) => e.method === 'PATCH'),
      'an ICE restart was tried',
    ).to.equal(true);
    expect(recordStates(player).at(-1)?.cause).to.match(/no video frames|connection/);
    expect(failedAfter).to.be.below(8000);
    await recordFigure({ figure: 'whep-cut-with-restart-to-fallback-state', ms: failedAfter });
  });
});
