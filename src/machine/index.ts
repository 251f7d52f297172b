/**
 * The failover machine's public surface for the controller and the element. Pure: importing
 * it starts nothing and pulls in no media code.
 */
export {
  playerMachine,
  DEFAULT_TIMING,
  ActorIds,
  type PlayerMachine,
  type PlayerSnapshot,
  type PlayerActorRef,
  type PlayerContext,
  type PlayerTag,
  type ProbeLogic,
  type PlayLogic,
  type WatchLogic,
} from './player-machine.js';
export { toPublicView, type PublicView, type MachineState } from './public-state.js';
export { keyOf, otherRole, rank, sameEndpoint, settleLadder, ROLES } from './ladder.js';
export type * from './types.js';
