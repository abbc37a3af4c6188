import type { RegistrationPolicy } from '../src/domain/registration/policy.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

/** The policy an operator set through GraphQL, and who set it when and why; no policy: none is set. */
export interface LedgerRegistrationPolicy {
  policy?: RegistrationPolicy;
  setAt?: number;
  setBy?: string;
  reason?: string;
}

/** One entry: the registration policy set in the ledger, read on every self-registration (no stream read). */
export const registrationPolicyProjection = defineProjection<LedgerRegistrationPolicy>({
  name: 'registrationPolicy',
  version: 1,
  initialState: () => ({}),
  on: {
    RegistrationPolicySet: (_view, e: RecordedEvent<string, { policy: RegistrationPolicy }>) => ({
      policy: e.data.policy,
      setAt: e.recordedAt.getTime(),
      ...(e.metadata.actor && { setBy: e.metadata.actor }),
      ...(e.metadata.reason && { reason: e.metadata.reason }),
    }),
    RegistrationPolicyCleared: () => ({}),
  },
});
