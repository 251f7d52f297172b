// whep-sdpfrag (pure) and whep-session against a fake RTCPeerConnection and a fake WHEP server:
// the ICE restart's PATCH (RFC 8840 fragment, If-Match: *, token), what a 200 changes and what
// anything else rolls back; the draft's 406 counter-offer; every session DELETEd.
import { expect } from '@open-wc/testing';
import { localSetupOf, parseFragment, remoteAnswerAfterRestart, restartFragment } from '../../src/sources/whep-sdpfrag.js';
import { openWhepSession, WhepRefusedError } from '../../src/sources/whep-session.js';
import { probeWhep } from '../../src/sources/whep-probe.js';
import { until } from '../support/until.mjs';
import { FakePeerConnection, FakeWhepServer, fakeSdp, installFakeWebRtc } from './whep-fakes.js';

const ENDPOINT = 'https://whep.test/whep/main';

describe('whep-sdpfrag', () => {
  const offer = fakeSdp({ ufrag: 'NEWU', pwd: 'new-password', setup: 'actpass', direction: 'recvonly' });

  it('the restart fragment: ice-options, BUNDLE, the first m-line and mid, new credentials, candidates, end-of-candidates', () => {
    const frag = restartFragment(offer).split('\r\n');
    expect(frag).to.include.members([
      'a=group:BUNDLE 0 1',
      'a=ice-options:trickle',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:0',
      'a=ice-ufrag:NEWU',
      'a=ice-pwd:new-password',
      'a=end-of-candidates',
    ]);
    expect(frag.filter((line) => line.startsWith('a=candidate:'))).to.have.length(1);
    expect(
      frag.some((line) => line.startsWith('m=audio')),
      'only the bundle tag',
    ).to.equal(false);
    expect(
      frag.some((line) => line.startsWith('a=fingerprint')),
      'nothing but ICE',
    ).to.equal(false);
  });

  it('reads a fragment, credentials at session level too', () => {
    const frag = parseFragment(
      'a=ice-lite\r\na=ice-ufrag:abc\r\na=ice-pwd:def\r\nm=video 9 X 96\r\na=mid:0\r\na=candidate:1 1 udp 1 192.0.2.1 5 typ host\r\na=end-of-candidates\r\n',
    );
    expect(frag).to.deep.equal({
      ufrag: 'abc',
      pwd: 'def',
      candidates: ['candidate:1 1 udp 1 192.0.2.1 5 typ host'],
      complete: true,
      iceLite: true,
    });
  });

  it("rebuilds the remote answer: new credentials everywhere, only the new candidates, the offer's BUNDLE", () => {
    const previous = fakeSdp({ ufrag: 'OLDS', pwd: 'old-server', setup: 'passive', direction: 'sendonly' });
    const localOffer = offer.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0');
    const answer = remoteAnswerAfterRestart(
      previous,
      localOffer,
      parseFragment('a=ice-ufrag:S2\r\na=ice-pwd:P2\r\na=candidate:9 1 udp 1 192.0.2.9 9 typ host\r\n'),
      'active',
    );
    expect(answer).to.not.contain('OLDS').and.not.contain('old-server');
    expect(answer.match(/a=ice-ufrag:S2/g)).to.have.length(2);
    expect(answer.match(/a=candidate:/g)).to.have.length(1);
    expect(answer).to.contain('a=candidate:9 1 udp 1 192.0.2.9 9 typ host');
    expect(answer).to.contain('a=group:BUNDLE 0\r\n');
    expect(answer).to.contain('a=setup:passive');
  });

  it('a counter-offer (actpass) becomes an answer with the role opposite to ours', () => {
    const serverOffer = fakeSdp({ ufrag: 'S', pwd: 'p', setup: 'actpass', direction: 'sendonly' });
    const ourAnswer = fakeSdp({ ufrag: 'C', pwd: 'q', setup: 'active', direction: 'recvonly' });
    expect(localSetupOf(ourAnswer)).to.equal('active');
    const answer = remoteAnswerAfterRestart(
      serverOffer,
      offer,
      parseFragment('a=ice-ufrag:S2\r\na=ice-pwd:P2\r\n'),
      localSetupOf(ourAnswer),
    );
    expect(answer).to.contain('a=setup:passive').and.not.contain('actpass');
  });
});

describe('whep-session', () => {
  let webrtc: ReturnType<typeof installFakeWebRtc>;
  let server: FakeWhepServer;
  beforeEach(() => {
    webrtc = installFakeWebRtc();
  });
  afterEach(() => {
    server?.restore();
    webrtc.restore();
  });

  it("an ICE restart PATCHes the fragment with If-Match: *, the token, and applies the server's fragment", async () => {
    server = new FakeWhepServer().install();
    const session = await openWhepSession(ENDPOINT, { token: 's3cret', timeoutMs: 1000 });
    expect(session.etag).to.equal('"e0"');
    const result = await session.restartIce();
    expect(result).to.deep.equal({ ok: true });
    const [patch] = server.of('PATCH');
    expect(patch.url).to.equal('https://whep.test/s/0');
    expect(patch.headers['if-match']).to.equal('*');
    expect(patch.headers['content-type']).to.equal('application/trickle-ice-sdpfrag');
    expect(patch.headers.authorization).to.equal('Bearer s3cret');
    expect(patch.body).to.contain('a=ice-ufrag:c0g1').and.contain('a=end-of-candidates');
    const pc = session.pc as unknown as FakePeerConnection;
    expect(pc.restarts).to.equal(1);
    expect(pc.signalingState).to.equal('stable');
    expect(pc.remoteDescription?.sdp).to.contain('a=ice-ufrag:s0r').and.contain('192.0.2.99');
    expect(session.etag).to.equal('"e0-restarted"');
    session.close();
    await until(() => server.open().length === 0, 'every session closed', 2000, 5);
  });

  for (const status of [405, 501, 422, 404, 500]) {
    it(`an ICE restart answered ${status} is rolled back and reported`, async () => {
      server = new FakeWhepServer({ restart: status }).install();
      const session = await openWhepSession(ENDPOINT, { timeoutMs: 1000 });
      const before = session.pc.localDescription?.sdp;
      const result = await session.restartIce();
      expect(result).to.deep.equal({ ok: false, cause: `WHEP PATCH (ICE restart): HTTP ${status}`, status });
      expect(session.pc.signalingState).to.equal('stable');
      expect(session.pc.localDescription?.sdp, 'the previous ICE session goes on').to.equal(before);
      session.close();
      await until(() => server.open().length === 0, 'every session closed', 2000, 5);
    });
  }

  it('a 406 counter-offer is answered on a fresh peer connection and PATCHed (application/sdp)', async () => {
    server = new FakeWhepServer({ post: 'offer-406' }).install();
    const session = await openWhepSession(ENDPOINT, { token: 't', timeoutMs: 1000 });
    expect(session.counterOffer).to.equal(true);
    expect(FakePeerConnection.instances).to.have.length(2);
    expect(FakePeerConnection.instances[0].closed, 'our own offer is dropped').to.equal(true);
    expect(session.pc).to.equal(FakePeerConnection.instances[1]);
    expect(session.pc.remoteDescription?.type).to.equal('offer');
    const [patch] = server.of('PATCH');
    expect(patch.url).to.equal('https://whep.test/s/0');
    expect(patch.headers['content-type']).to.equal('application/sdp');
    expect(patch.headers.authorization).to.equal('Bearer t');
    expect(patch.body).to.equal(session.pc.localDescription?.sdp);
    session.close();
    await until(() => server.open().length === 0, 'every session closed', 2000, 5);
  });

  it('an expired counter-offer (valid-until) is not answered, and its session is DELETEd', async () => {
    server = new FakeWhepServer({
      post: 'offer-406',
      counterOfferType: `; valid-until="${new Date(Date.now() - 1000).toUTCString()}"`,
    }).install();
    const error = await openWhepSession(ENDPOINT, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(WhepRefusedError);
    expect((error as Error).message).to.match(/expired/);
    expect(server.of('PATCH')).to.have.length(0);
    await until(() => server.open().length === 0, 'every session closed', 2000, 5);
    expect(server.of('DELETE')).to.have.length(1);
  });

  it('a probe counts a counter-offer as live without answering it, and DELETEs it', async () => {
    server = new FakeWhepServer({ post: 'offer-406' }).install();
    expect(await probeWhep(ENDPOINT, { timeoutMs: 1000 })).to.deep.equal({ status: 'live' });
    expect(server.of('PATCH')).to.have.length(0);
    await until(() => server.open().length === 0, 'every session closed', 2000, 5);
  });

  it('a 406 without an SDP body is an ordinary refusal', async () => {
    server = new FakeWhepServer({ post: 406 }).install();
    const error = await openWhepSession(ENDPOINT, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect((error as WhepRefusedError).status).to.equal(406);
    expect(server.created()).to.deep.equal([]);
  });
});
