import { randomBytes } from 'node:crypto';
import { ClientCommandError } from '../domain/clients/decide.js';
import type { ClientMetadata } from '../domain/clients/events.js';
import { clientMetadata } from '../domain/clients/metadataDefaults.js';
import { checkChosenClientSecret } from '../domain/clients/metadataRules.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { generateClientSecret, hashClientSecret } from '../security/clientSecrets.js';
import type { Ports } from './ports.js';
import { handleClientCommand, viewedClient, type ClientMetadataChanges } from './clients.js';

interface ClientRegistration {
  /** Generated (16 random bytes, base64url) when omitted. */
  clientId?: string;
  changes: ClientMetadataChanges;
  /** The operator's own secret (kept as a slow hash); a generated one (SHA-256) when omitted. */
  chosenSecret?: string;
}

/** The client authenticates with a shared secret (RFC 6749 §2.3.1). */
const needsClientSecret = (m: Pick<ClientMetadata, 'token_endpoint_auth_method'>): boolean =>
  m.token_endpoint_auth_method === 'client_secret_basic' || m.token_endpoint_auth_method === 'client_secret_post';

/** A secret for a client that needs one, and its hash; a chosen secret for a client that needs none is refused. */
async function secretFor(metadata: ClientMetadata, chosen: string | undefined) {
  if (!needsClientSecret(metadata)) {
    if (chosen)
      throw new ClientCommandError(
        'invalid_client_metadata',
        `${metadata.token_endpoint_auth_method} clients have no secret`,
      );
    return { secret: null, hash: null };
  }
  if (chosen !== undefined) checkChosenClientSecret(chosen);
  const secret = chosen ?? generateClientSecret();
  return { secret, hash: await hashClientSecret(secret, chosen === undefined) };
}

/**
 * Registers a client (CLI and GraphQL): the defaults for every field not given, a secret when its
 * authentication method takes one. Answers the client as the clients view holds it and the secret in
 * clear, which is shown to the operator this once and never stored.
 */
export async function registerClient(
  ports: Pick<Ports, 'config' | 'events' | 'views'>,
  registration: ClientRegistration,
  ctx: CommandContext,
): Promise<{ client: ClientState; secret: string | null }> {
  const clientId = registration.clientId ?? randomBytes(16).toString('base64url');
  const metadata = clientMetadata(registration.changes);
  const { secret, hash } = await secretFor(metadata, registration.chosenSecret);
  await handleClientCommand(ports, { type: 'RegisterClient', clientId, metadata, secret: hash }, ctx);
  return { client: viewedClient(ports, clientId), secret };
}
