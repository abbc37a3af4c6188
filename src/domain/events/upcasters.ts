import type { Upcaster } from '../../eventsourcing/upcasting.js';

/**
 * When an event's schema changes, its new version is added to the catalogue (a new
 * `schema/events/<Type>.v<n+1>.json`) and one upcaster here turns v<n> data into v<n+1>; the
 * first-release ledger in test/fixtures must still replay to the same digest. None so far: every
 * event type is at version 1.
 */
export const upcasters: Upcaster[] = [];
