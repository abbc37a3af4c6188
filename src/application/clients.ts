import { decideClient, type ClientCommand } from '../domain/clients/decide.js';
import type { ClientEvent } from '../domain/clients/events.js';
import { evolveClient } from '../domain/clients/evolve.js';
import type { ClientStreamState } from '../domain/clients/state.js';
import { execute, writePorts } from './execute.js';
import type { Decider } from '../domain/decider.js';
import type { CommandContext } from '../ledger/ledger.js';
import type { Runtime } from '../runtime.js';
import { causeIn, recordRevocations } from './holderRevocation.js';

/** `$ce-` splits a stream name on its first dash, so `client-svc-a` stays in category `client`. */
export const clientStream = (clientId: string) => `client-${clientId}`;

/** The limits come from this server's configuration, so the CLI and GraphQL refuse the same values. */
const clientDecider = (rt: Runtime): Decider<ClientCommand, ClientStreamState, ClientEvent> => ({
  initialState: () => undefined,
  evolve: (state, event) => evolveClient(state, event),
  decide: (command, state) => decideClient(command, state, { maxAccessTokenTtl: rt.config.maxTokenLifetimeSeconds }),
});

/** The one path for client changes (CLI and GraphQL); returns once the clients view has them. */
export async function handleClientCommand(
  rt: Runtime,
  command: ClientCommand,
  ctx: CommandContext,
): Promise<ClientEvent[]> {
  const { events } = await execute(writePorts(rt), clientStream(command.clientId), clientDecider(rt), command, ctx);
  return events;
}

/**
 * Disables a client: it can no longer authenticate or start an authorization, and every grant and
 * token it holds is revoked (records caused by ClientDisabled, which is the fact the views and the
 * endpoints already honour). The users' sessions stay: they belong to the users and other clients.
 */
export async function disableClient(rt: Runtime, clientId: string, ctx: CommandContext): Promise<void> {
  await handleClientCommand(rt, { type: 'DisableClient', clientId }, ctx);
  const cause = await causeIn(rt, clientStream(clientId), ['ClientDisabled']);
  await recordRevocations(rt, { clientId }, 'client disabled', {
    ...ctx,
    causationId: cause ?? ctx.causationId ?? null,
  });
}
