import type { Decider } from '../decider.js';
import type { ClientAssertionUsed, DPoPProofUsed, RequestObjectUsed } from '../tokens/events.js';
import type { EventOf } from '../events/catalogue.js';

/** What may be used once only: a client assertion, a DPoP proof, a request object — each known by its jti. */
export type OneTimeUseEvent =
  EventOf<typeof ClientAssertionUsed> | EventOf<typeof DPoPProofUsed> | EventOf<typeof RequestObjectUsed>;

type OneTimeUseCommand = { type: 'RecordOneTimeUse'; event: OneTimeUseEvent };

/** A jti seen a second time (RFC 7523 §3, RFC 9449 §11.1, RFC 9101 §10.8: it must not be replayed). */
export class AssertionReplayedError extends Error {
  override readonly name = 'AssertionReplayedError';
}

/** Whether this jti was used before. */
type OneTimeUseState = boolean;

export const assertionDecider: Decider<OneTimeUseCommand, OneTimeUseState, OneTimeUseEvent> = {
  initialState: () => false,
  evolve: () => true,
  decide: ({ event }, used) => {
    if (used) throw new AssertionReplayedError('this jti was used before');
    return [event];
  },
};
