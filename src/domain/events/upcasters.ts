import type { Upcaster } from '../../eventsourcing/upcasting.js';

/**
 * When an event's schema changes, its new version is added to the catalogue (a new
 * `schema/events/<Type>.v<n+1>.json`) and one upcaster here turns v<n> data into v<n+1>; the
 * first-release ledger in test/fixtures must still replay to the same digest.
 */
export const upcasters: Upcaster[] = [
  // ClientUpdated v2 adds `changes`; a v1 event did not record them, and they are not guessed now.
  { type: 'ClientUpdated', from: 1, up: (data) => data },
  // v2 blocks may carry `refused`; a v1 block did not count them.
  { type: 'ClientAuthenticationThrottled', from: 1, up: (data) => data },
  { type: 'LoginThrottled', from: 1, up: (data) => data },
];
