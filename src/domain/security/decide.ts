import type { Decider } from '../decider.js';
import type { ClientAuthenticationFailedEvent, LoginFailedEvent } from './events.js';

/** A failure on a throttled key: a fact to keep, whatever came before it on the stream. */
export type SecurityCommand =
  | ({ type: 'RecordLoginFailure' } & LoginFailedEvent['data'])
  | ({ type: 'RecordClientAuthenticationFailure' } & ClientAuthenticationFailedEvent['data']);

type FailureEvent = LoginFailedEvent | ClientAuthenticationFailedEvent;

/**
 * Stateless: a failure is recorded as it happened, so the stream is never read before the append (execute's
 * `unconditional`). What bounds these events is the throttle, which stops calling this while a key is blocked.
 */
export const securityDecider: Decider<SecurityCommand, null, FailureEvent> = {
  initialState: () => null,
  evolve: (state) => state,
  decide: (command) => {
    switch (command.type) {
      case 'RecordLoginFailure': {
        const { type: _t, ...data } = command;
        // One way to name the person: the sub of a known account, else the keyed hash of what was typed.
        if ((data.sub === undefined) === (data.account === undefined))
          throw new RangeError('a login failure names either a sub or an account hash');
        return [{ type: 'LoginFailed', data }];
      }
      case 'RecordClientAuthenticationFailure': {
        const { type: _t, ...data } = command;
        return [{ type: 'ClientAuthenticationFailed', data }];
      }
    }
  },
};
