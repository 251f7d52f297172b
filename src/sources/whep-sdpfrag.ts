/**
 * The SDP text a WHEP ICE restart needs (draft-ietf-wish-whep, "ICE Restarts"; RFC 8840
 * `application/trickle-ice-sdpfrag`): the fragment the player PATCHes, the server's fragment
 * read back, and the remote description rebuilt from it. WHEP renegotiates nothing but ICE,
 * so the new remote description is the previous one with new credentials and candidates.
 * Policy: pure text functions, no retry, nothing logged (an SDP carries no token, but a
 * fragment is not worth printing either).
 */

export interface IceFragment {
  ufrag: string | null;
  pwd: string | null;
  /** `candidate:…` values, without the `a=` prefix. */
  candidates: string[];
  /** `a=end-of-candidates` was present. */
  complete: boolean;
  iceLite: boolean;
}

const lines = (sdp: string) => sdp.split(/\r\n|\r|\n/).filter((line) => line !== '');

/**
 * The sdpfrag of an ICE restart from the player's new local offer: the session's
 * `ice-options` and BUNDLE group, then the first m-line (the bundle tag: with max-bundle only
 * it gathers) with its mid, the new ufrag/pwd and every candidate gathered, and
 * `a=end-of-candidates` (the player does not trickle: it sends what it has gathered).
 */
export function restartFragment(localOffer: string): string {
  const all = lines(localOffer);
  const firstM = all.findIndex((line) => line.startsWith('m='));
  if (firstM < 0) throw new Error('the offer has no m-line');
  const nextM = all.findIndex((line, i) => i > firstM && line.startsWith('m='));
  const session = all.slice(0, firstM);
  const media = all.slice(firstM, nextM < 0 ? undefined : nextM);
  const first = (from: string[], prefix: string) => from.find((line) => line.startsWith(prefix));
  const ufrag = first(media, 'a=ice-ufrag:') ?? first(session, 'a=ice-ufrag:');
  const pwd = first(media, 'a=ice-pwd:') ?? first(session, 'a=ice-pwd:');
  if (!ufrag || !pwd) throw new Error('the offer has no ICE credentials');
  const out = [
    ...session.filter(
      (line) => line.startsWith('a=ice-options:') || line.startsWith('a=ice-lite') || line.startsWith('a=group:BUNDLE'),
    ),
    media[0],
    ...media.filter((line) => line.startsWith('a=mid:')),
    ufrag,
    pwd,
    ...media.filter((line) => line.startsWith('a=candidate:')),
    'a=end-of-candidates',
  ];
  return out.join('\r\n') + '\r\n';
}

/** Reads a fragment (RFC 8840): credentials at session level or in the m-section, candidates. */
export function parseFragment(frag: string): IceFragment {
  const out: IceFragment = { ufrag: null, pwd: null, candidates: [], complete: false, iceLite: false };
  for (const line of lines(frag)) {
    if (line.startsWith('a=ice-ufrag:')) out.ufrag ??= line.slice('a=ice-ufrag:'.length).trim();
    else if (line.startsWith('a=ice-pwd:')) out.pwd ??= line.slice('a=ice-pwd:'.length).trim();
    else if (line.startsWith('a=candidate:')) out.candidates.push(line.slice(2).trim());
    else if (line.trim() === 'a=end-of-candidates') out.complete = true;
    else if (line.trim() === 'a=ice-lite') out.iceLite = true;
  }
  return out;
}

/**
 * The remote description after a restart: the previous one with every ICE credential
 * replaced, every old candidate dropped (RFC 8839 4.4.1.1.1: the new set replaces it), the new
 * candidates in the first m-section that is not rejected, and the BUNDLE group of the new
 * local offer. A previous remote *offer* (a 406 counter-offer) becomes an answer: its
 * `a=setup:actpass` takes the role opposite to ours, as DTLS stays as it is.
 */
export function remoteAnswerAfterRestart(
  previousRemote: string,
  localOffer: string,
  frag: IceFragment,
  localSetup: 'active' | 'passive',
): string {
  if (!frag.ufrag || !frag.pwd) throw new Error('the fragment has no ICE credentials');
  const bundle = lines(localOffer).find((line) => line.startsWith('a=group:BUNDLE'));
  const remoteSetup = localSetup === 'active' ? 'passive' : 'active';
  const out: string[] = [];
  let section = -1;
  let placed = false;
  const placeCandidates = () => {
    if (placed) return;
    placed = true;
    out.push(...frag.candidates.map((candidate) => `a=${candidate}`));
    if (frag.complete) out.push('a=end-of-candidates');
  };
  let rejected = false;
  for (const line of lines(previousRemote)) {
    if (line.startsWith('m=')) {
      if (section >= 0 && !rejected) placeCandidates();
      section += 1;
      // `m=<media> <port> …`: port 0 is a rejected m-section, which gathers nothing.
      rejected = line.split(' ')[1] === '0';
      out.push(line);
    } else if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') {
      continue;
    } else if (line.startsWith('a=ice-ufrag:')) out.push(`a=ice-ufrag:${frag.ufrag}`);
    else if (line.startsWith('a=ice-pwd:')) out.push(`a=ice-pwd:${frag.pwd}`);
    else if (line.startsWith('a=group:BUNDLE') && bundle) out.push(bundle);
    else if (line === 'a=setup:actpass') out.push(`a=setup:${remoteSetup}`);
    else out.push(line);
  }
  if (section >= 0 && !rejected) placeCandidates();
  if (!placed) throw new Error('the remote description has no usable m-section');
  return out.join('\r\n') + '\r\n';
}

/** Our DTLS role from a local description (`a=setup:active` or `passive`; an offer's actpass counts as passive). */
export function localSetupOf(sdp: string): 'active' | 'passive' {
  return /^a=setup:active\b/m.test(sdp) ? 'active' : 'passive';
}
