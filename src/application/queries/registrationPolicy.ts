import {
  registrationPolicyProjection,
  type LedgerRegistrationPolicy,
} from '../../../projections/registrationPolicy.js';
import type { Views } from './views.js';

/** The policy an operator set through GraphQL (empty when none is set). */
export const ledgerRegistrationPolicy = (views: Views): Readonly<LedgerRegistrationPolicy> =>
  views(registrationPolicyProjection);
