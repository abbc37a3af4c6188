import { clientMetadata } from '../domain/clients/metadataDefaults.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { handleClientCommand, viewedClient, type ClientMetadataChanges } from './clients.js';

/**
 * Changes a client's metadata (CLI and GraphQL): every given field replaces, every other keeps its
 * current value. The secret is left as it is. Answers the client as the clients view holds it.
 */
export async function updateClient(
  ports: Pick<Ports, 'config' | 'events' | 'views'>,
  clientId: string,
  changes: ClientMetadataChanges,
  ctx: CommandContext,
): Promise<ClientState> {
  const metadata = clientMetadata(changes, viewedClient(ports, clientId).metadata);
  await handleClientCommand(ports, { type: 'UpdateClient', clientId, metadata }, ctx);
  return viewedClient(ports, clientId);
}
