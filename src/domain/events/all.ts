import type { EventDefinition } from './catalogue.js';
import { clientEvents } from '../clients/events.js';
import { keyringEvents } from '../keyring/events.js';
import { tokenEvents } from '../tokens/events.js';

/** Every event type the ledger accepts. A type not listed here is refused on append. */
export const allEvents: EventDefinition[] = [...keyringEvents, ...clientEvents, ...tokenEvents];
