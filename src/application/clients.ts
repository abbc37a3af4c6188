import { ClientCommandError, type ClientCommand } from '../domain/clients/decide.js';
import { clientDecider } from '../domain/clients/decider.js';
import type { ClientEvent } from '../domain/clients/events.js';
import type { clientMetadata } from '../domain/clients/metadataDefaults.js';
import type { ClientState } from '../domain/clients/state.js';
import { clientStream } from '../domain/clients/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { revokeAllCausedBy } from './revokeAllFor.js';
import { clientById } from './queries/clients.js';

/** The metadata fields an operator gave (undefined or null: not given); clientMetadata fills in the rest. */
export type ClientMetadataChanges = Parameters<typeof clientMetadata>[0];

/** The one path for client changes (CLI and GraphQL); returns once the clients view has them. */
export async function handleClientCommand(
  ports: Pick<Ports, 'config' | 'events'>,
  command: ClientCommand,
  ctx: CommandContext,
): Promise<ClientEvent[]> {
  const { events } = await execute(
    ports.events,
    clientStream(command.clientId),
    clientDecider({ maxAccessTokenTtl: ports.config.maxTokenLifetimeSeconds, profile: ports.config.profile }),
    command,
    ctx,
  );
  return events;
}

/** The client as the clients view holds it (disabled ones too); client_not_found when there is none. */
export function viewedClient(ports: Pick<Ports, 'views'>, clientId: string): ClientState {
  const client = clientById(ports.views, clientId);
  if (!client) throw new ClientCommandError('client_not_found', `client ${clientId} does not exist`);
  return client;
}

/**
 * Disables a client: it can no longer authenticate or start an authorization, and every grant and
 * token it holds is revoked (records caused by ClientDisabled, which is the fact the views and the
 * endpoints already honour). The users' sessions stay: they belong to the users and other clients.
 */
export async function disableClient(
  ports: Pick<Ports, 'cache' | 'clock' | 'config' | 'events' | 'history' | 'settleHistory' | 'views'>,
  clientId: string,
  ctx: CommandContext,
): Promise<void> {
  await handleClientCommand(ports, { type: 'DisableClient', clientId }, ctx);
  await revokeAllCausedBy(ports, { clientId }, 'client disabled', ctx, {
    stream: clientStream(clientId),
    types: ['ClientDisabled'],
  });
}

/**
 * Deletes a client (RFC 7592 DELETE, pruning): as disabling, and final. Its grants and tokens are revoked by records
 * caused by ClientDeleted.
 */
export async function deleteClient(
  ports: Pick<Ports, 'cache' | 'clock' | 'config' | 'events' | 'history' | 'settleHistory' | 'views'>,
  clientId: string,
  reason: string,
  ctx: CommandContext,
): Promise<void> {
  await handleClientCommand(ports, { type: 'DeleteClient', clientId, reason }, ctx);
  await revokeAllCausedBy(ports, { clientId }, reason, ctx, {
    stream: clientStream(clientId),
    types: ['ClientDeleted'],
  });
}
