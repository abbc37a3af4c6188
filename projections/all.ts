import type { Projection } from './projection.js';
import { activeTokensProjection } from './activeTokens.js';
import { clientsProjection } from './clients.js';
import { keysProjection } from './keys.js';
import { authorizationProjections } from './authorization.js';
import { usersProjection } from './users.js';
import { statusListsProjection } from './statusLists.js';
import { throttlesProjection } from './throttles.js';
import { devicesProjection } from './devices.js';
import { tokenExchangeProjection } from './tokenExchange.js';
import { registrationPolicyProjection } from './registrationPolicy.js';
import { initialAccessTokensProjection } from './initialAccessTokens.js';
import { clientActivityProjection } from './clientActivity.js';
import { sealKeysProjection } from './sealKeys.js';
import { securityEventsProjection } from './securityEvents.js';

/** Every view the runner maintains. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const allProjections: Projection<any>[] = [
  keysProjection,
  clientsProjection,
  activeTokensProjection,
  ...authorizationProjections,
  usersProjection,
  statusListsProjection,
  throttlesProjection,
  devicesProjection,
  tokenExchangeProjection,
  registrationPolicyProjection,
  initialAccessTokensProjection,
  clientActivityProjection,
  sealKeysProjection,
  securityEventsProjection,
];
