import type { EventDefinition } from './catalogue.js';
import { clientEvents } from '../clients/events.js';
import { keyringEvents } from '../keyring/events.js';
import { tokenEvents } from '../tokens/events.js';
import { grantEvents } from '../grants/events.js';
import { sessionEvents } from '../sessions/events.js';
import { retentionEvents } from '../retention/events.js';
import { userEvents } from '../users/events.js';
import { throttleEvents } from '../throttle/events.js';
import { deviceEvents } from '../devices/events.js';
import { pushedRequestEvents } from '../pushedRequests/events.js';
import { initialAccessTokenEvents } from '../initialAccessTokens/events.js';
import { registrationPolicyEvents } from '../registration/events.js';
import { sealEvents } from '../seals/events.js';
import { sinkEvents } from '../sinks/events.js';
import { securityEvents } from '../security/events.js';

/** Every event type the ledger accepts. A type not listed here is refused on append. */
export const allEvents: EventDefinition[] = [
  ...keyringEvents,
  ...clientEvents,
  ...tokenEvents,
  ...grantEvents,
  ...sessionEvents,
  ...retentionEvents,
  ...userEvents,
  ...throttleEvents,
  ...deviceEvents,
  ...pushedRequestEvents,
  ...initialAccessTokenEvents,
  ...registrationPolicyEvents,
  ...sealEvents,
  ...sinkEvents,
  ...securityEvents,
];
