import { Type } from '@sinclair/typebox';
import { defineEvent, type EventsOf } from '../events/catalogue.js';
import { RegistrationPolicy } from './policy.js';

/** An operator set the server's registration policy: it replaces REGISTRATION_POLICY_FILE's until cleared. */
const RegistrationPolicySet = defineEvent('RegistrationPolicySet', 1, Type.Object({ policy: RegistrationPolicy }));
/** The policy set before is dropped: REGISTRATION_POLICY_FILE's (or none) holds again. */
const RegistrationPolicyCleared = defineEvent('RegistrationPolicyCleared', 1, Type.Object({}));

export const registrationPolicyEvents = [RegistrationPolicySet, RegistrationPolicyCleared];
export type RegistrationPolicyEvent = EventsOf<typeof registrationPolicyEvents>;

/** One stream for the whole server: every policy an operator set, in order. */
export const REGISTRATION_POLICY_STREAM = 'registration-policy';
