import { evolveClient } from '../src/domain/clients/evolve.js';
import type { ClientEvent } from '../src/domain/clients/events.js';
import type { ClientState } from '../src/domain/clients/state.js';
import type { RecordedEvent } from '../src/eventsourcing/eventStore.js';
import { defineProjection } from './projection.js';

interface ClientsView {
  byId: Map<string, ClientState>;
}

function apply(view: ClientsView, event: RecordedEvent): ClientsView {
  const e = event as unknown as ClientEvent;
  const next = evolveClient(view.byId.get(e.data.clientId), e, event.recordedAt.getTime());
  if (next) view.byId.set(next.clientId, next);
  return view;
}

/** Every registered client with its current metadata, secret hash and status. */
export const clientsProjection = defineProjection<ClientsView>({
  name: 'clients',
  version: 1,
  initialState: () => ({ byId: new Map() }),
  on: {
    ClientRegistered: apply,
    ClientUpdated: apply,
    ClientSecretRotated: apply,
    ClientPreviousSecretUsed: apply,
    ClientRegistrationTokenRotated: apply,
    ClientDisabled: apply,
    ClientDeleted: apply,
  },
});
