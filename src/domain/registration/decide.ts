import { isDeepStrictEqual } from 'node:util';
import type { Decider } from '../decider.js';
import { refusalWithReasons } from '../refusal.js';
import type { RegistrationPolicyEvent } from './events.js';
import { registrationPolicyProblem, type RegistrationPolicy } from './policy.js';

export type RegistrationPolicyCommand =
  { type: 'SetRegistrationPolicy'; policy: RegistrationPolicy } | { type: 'ClearRegistrationPolicy' };

/** The policy set by an operator; undefined: none (the file's holds). */
export type RegistrationPolicyState = RegistrationPolicy | undefined;

export class RegistrationPolicyRefused extends refusalWithReasons('RegistrationPolicyRefused', {
  invalid_policy: 'invalid_request',
}) {}

function evolve(_state: RegistrationPolicyState, event: RegistrationPolicyEvent): RegistrationPolicyState {
  return event.type === 'RegistrationPolicySet' ? event.data.policy : undefined;
}

/** Setting the policy in force again, or clearing none, records nothing. */
function decide(command: RegistrationPolicyCommand, state: RegistrationPolicyState): RegistrationPolicyEvent[] {
  if (command.type === 'ClearRegistrationPolicy') return state ? [{ type: 'RegistrationPolicyCleared', data: {} }] : [];
  const problem = registrationPolicyProblem(command.policy);
  if (problem) throw new RegistrationPolicyRefused('invalid_policy', problem);
  if (isDeepStrictEqual(state, command.policy)) return [];
  return [{ type: 'RegistrationPolicySet', data: { policy: command.policy } }];
}

/** The `registration-policy` stream: the policy operators set through GraphQL, replacing the file's. */
export const registrationPolicyDecider: Decider<
  RegistrationPolicyCommand,
  RegistrationPolicyState,
  RegistrationPolicyEvent
> = { initialState: () => undefined, evolve, decide };
