import { ClientCommandError, type ClientCommand } from '../domain/clients/decide.js';
import { clientDecider } from '../domain/clients/decider.js';
import type { ClientEvent } from '../domain/clients/events.js';
import type { clientMetadata } from '../domain/clients/metadataDefaults.js';
import type { ClientState } from '../domain/clients/state.js';
import { clientStream } from '../domain/clients/streams.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Runtime } from '../runtime.js';
import { causeIn, revokeAllFor } from './revokeAllFor.js';
import { clientById } from './queries/clients.js';

/** The metadata fields an operator gave (undefined or null: not given); clientMetadata fills in the rest. */
export type ClientMetadataChanges = Parameters<typeof clientMetadata>[0];

/** The one path for client changes (CLI and GraphQL); returns once the clients view has them. */
export async function handleClientCommand(
  rt: Runtime,
  command: ClientCommand,
  ctx: CommandContext,
): Promise<ClientEvent[]> {
  const { events } = await execute(
    writePorts(rt),
    clientStream(command.clientId),
    clientDecider({ maxAccessTokenTtl: rt.config.maxTokenLifetimeSeconds }),
    command,
    ctx,
  );
  return events;
}

/** The client as the clients view holds it (disabled ones too); client_not_found when there is none. */
export function viewedClient(rt: Runtime, clientId: string): ClientState {
  const client = clientById(rt.views, clientId);
  if (!client) throw new ClientCommandError('client_not_found', `client ${clientId} does not exist`);
  return client;
}

/**
 * Disables a client: it can no longer authenticate or start an authorization, and every grant and
 * token it holds is revoked (records caused by ClientDisabled, which is the fact the views and the
 * endpoints already honour). The users' sessions stay: they belong to the users and other clients.
 */
export async function disableClient(rt: Runtime, clientId: string, ctx: CommandContext): Promise<void> {
  await handleClientCommand(rt, { type: 'DisableClient', clientId }, ctx);
  const cause = await causeIn(rt, clientStream(clientId), ['ClientDisabled']);
  await revokeAllFor(rt, { clientId }, 'client disabled', {
    ...ctx,
    causationId: cause ?? ctx.causationId ?? null,
  });
}
