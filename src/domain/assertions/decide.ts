import type { Decider } from '../decider.js';
import type { ClientAssertionUsed } from '../tokens/events.js';
import type { EventOf } from '../events/catalogue.js';

type ClientAssertionUsedEvent = EventOf<typeof ClientAssertionUsed>;

type AssertionCommand = { type: 'RecordClientAssertion'; clientId: string; jtiHash: string; exp: number };

/** A private_key_jwt assertion seen a second time (RFC 7523 §3: the jti must not be replayed). */
export class AssertionReplayedError extends Error {
  override readonly name = 'AssertionReplayedError';
}

/** Whether this jti was used before. */
type AssertionState = boolean;

export const assertionDecider: Decider<AssertionCommand, AssertionState, ClientAssertionUsedEvent> = {
  initialState: () => false,
  evolve: () => true,
  decide: ({ clientId, jtiHash, exp }, used) => {
    if (used) throw new AssertionReplayedError('the client assertion was used before');
    return [{ type: 'ClientAssertionUsed', data: { clientId, jtiHash, exp } }];
  },
};
