/**
 * The ladder rules, pure: how endpoints are named and ranked, which endpoint comes next
 * after a failure, and what a probe of several endpoints of one stream says.
 *
 * Policy:
 * - Rank: the primary stream before the fallback; within a stream, ladder order (the site's
 *   preference). `prefer-primary` returns to a better-ranked endpoint; without it the player
 *   stays where it works.
 * - After a failure of the endpoint on screen, the candidates are, in order: the same
 *   stream's other endpoints (unless the failure is the stream's own), then the other
 *   stream's endpoints; endpoints already tried for this failure, and endpoints left alone
 *   after a `path` failure (benched), are skipped.
 * - A probe of a ladder asks its endpoints in ladder order, each as soon as the one before has
 *   answered not live, or after a head start (`LADDER_HEAD_START_MS`) if it has not answered
 *   yet: a live first endpoint spares the others a request (a crowd joining a WebRTC stream
 *   does not all ask its HLS CDN too), a hanging one delays the next by the head start only.
 *   It decides as soon as the answers allow: a stop of any primary endpoint is a stop;
 *   otherwise the first live endpoint in ladder order wins once every endpoint before it has
 *   answered not live. A fallback endpoint that
 *   says stopped only counts as not live. Not live at the network level (no server answered)
 *   only when no endpoint's server answered.
 */
import type { EndpointRef, FailureScope, ProbeVerdict, SourceDescriptor, SourceRole, StreamVerdict } from './types.js';

export const ROLES: readonly SourceRole[] = ['primary', 'fallback'];

export const otherRole = (role: SourceRole): SourceRole => (role === 'primary' ? 'fallback' : 'primary');

/** `primary/0`, `fallback/1`: an endpoint's name in records and logs. */
export const keyOf = (ref: EndpointRef): string => `${ref.role}/${ref.index}`;

export const sameEndpoint = (a: EndpointRef | null | undefined, b: EndpointRef | null | undefined): boolean =>
  !!a && !!b && a.role === b.role && a.index === b.index;

/** Lower is better: every primary endpoint before every fallback endpoint, then ladder order. */
export const rank = (ref: EndpointRef): number => (ref.role === 'primary' ? 0 : 1_000) + ref.index;

export type Streams = Readonly<Record<SourceRole, readonly SourceDescriptor[]>>;

/** The endpoints of one stream as refs, in ladder order. */
export const refsOf = (streams: Streams, role: SourceRole): EndpointRef[] => streams[role].map((_, index) => ({ role, index }));

export interface CandidateState {
  streams: Streams;
  onScreen: EndpointRef;
  /** Keys of endpoints not to try now (tried for this failure, or benched). */
  skip: (key: string) => boolean;
}

/** Where to go, in order, when the endpoint on screen fails with `scope`. */
export function candidates({ streams, onScreen, skip }: CandidateState, scope: FailureScope): EndpointRef[] {
  const sameStream = scope === 'stream' ? [] : refsOf(streams, onScreen.role).filter((ref) => ref.index !== onScreen.index);
  return [...sameStream, ...refsOf(streams, otherRole(onScreen.role))].filter((ref) => !skip(keyOf(ref)));
}

/**
 * What a probe of a ladder says, from the answers so far (`undefined`: not answered yet), or
 * null while it cannot tell yet. Not live: the causes joined, the largest Retry-After.
 */
export function settleLadder(role: SourceRole, answers: readonly (ProbeVerdict | undefined)[]): StreamVerdict | null {
  const stopped = answers.findIndex((answer) => answer?.status === 'stopped');
  if (role === 'primary' && stopped >= 0) return { ...(answers[stopped] as ProbeVerdict), index: stopped };
  for (let index = 0; index < answers.length; index += 1) {
    const answer = answers[index];
    if (answer === undefined) return null;
    if (answer.status === 'live') return { ...answer, index };
  }
  const causes = answers.map((answer) => (answer && answer.status !== 'live' ? answer.cause : '')).filter(Boolean);
  const retryAfterMs = Math.max(0, ...answers.map((answer) => (answer?.status === 'not-live' ? (answer.retryAfterMs ?? 0) : 0)));
  const network = answers.length > 0 && answers.every((answer) => answer?.status === 'not-live' && answer.network === true);
  return {
    status: 'not-live',
    cause: causes.length ? [...new Set(causes)].join('; ') : 'no endpoint',
    index: 0,
    ...(retryAfterMs > 0 ? { retryAfterMs } : {}),
    ...(network ? { network } : {}),
  };
}

export interface LadderProbeEffects {
  /** Starts asking the endpoint at `position`; its answer comes back through `answer()`. */
  ask(position: number): void;
  /** Runs `fn` after `ms`; returns what cancels it (setTimeout, or a simulated clock's). */
  schedule(fn: () => void, ms: number): () => void;
  /** The ladder's verdict, once. */
  decide(verdict: StreamVerdict): void;
}

/**
 * One probe of a ladder of `count` endpoints, by the rule above; the caller asks the endpoints
 * and reports their answers. `cancel()` stops any endpoint not asked yet.
 */
export function probeLadder(role: SourceRole, count: number, headStartMs: number, effects: LadderProbeEffects) {
  const answers: (ProbeVerdict | undefined)[] = Array.from({ length: count }, () => undefined);
  let asked = 0;
  let decided = false;
  let cancelHeadStart = () => {};
  const askNext = () => {
    cancelHeadStart();
    if (decided || asked >= count) return;
    effects.ask(asked);
    asked += 1;
    if (asked < count) cancelHeadStart = effects.schedule(askNext, headStartMs);
  };
  const cancel = () => {
    decided = true;
    cancelHeadStart();
  };
  const answer = (position: number, verdict: ProbeVerdict) => {
    if (decided) return;
    answers[position] = verdict;
    // Endpoints not asked yet have no answer: the rule waits for them as for any other.
    const settled = settleLadder(role, answers);
    if (settled) {
      cancel();
      effects.decide(settled);
    } else if (position === asked - 1 && verdict.status !== 'live') {
      // The last endpoint asked is out: the next one at once, not after its head start.
      askNext();
    }
  };
  if (count === 0) effects.decide(settleLadder(role, [])!);
  else askNext();
  return { answer, cancel };
}
