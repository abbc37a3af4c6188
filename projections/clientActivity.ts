import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

interface ClientActivityView {
  /** When the client was last issued a token or an authorization code, ms. */
  lastUsedAt: Map<string, number>;
}

const seen = (view: ClientActivityView, e: RecordedEvent<string, { clientId: string }>) => {
  view.lastUsedAt.set(e.data.clientId, e.recordedAt.getTime());
  return view;
};

/**
 * When each client was last in use, for pruning idle self-registered clients: every token the server issues comes
 * with an AccessTokenIssued (client credentials, code, refresh, device, exchange), and an authorization a user
 * went through is an AuthorizationCodeIssued. One number a client.
 */
export const clientActivityProjection = defineProjection<ClientActivityView>({
  name: 'clientActivity',
  version: 1,
  initialState: () => ({ lastUsedAt: new Map() }),
  on: { AccessTokenIssued: seen, AuthorizationCodeIssued: seen },
});
