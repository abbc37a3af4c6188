import { sha256 } from '../crypto/hash.js';
import { ClientCommandError, sameHash } from '../domain/clients/decide.js';
import { ClientMetadataError } from '../domain/clients/metadataRules.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { OAuthError } from '../oauth/errors.js';
import type { SoftwareStatements } from '../oauth/softwareStatement.js';
import { ClientSecretVerifier, generateClientSecret, hashClientSecret } from '../security/clientSecrets.js';
import { DEFAULT_SECRET_GRACE_SECONDS } from './rotateClientSecret.js';
import { deleteClient, handleClientCommand, viewedClient } from './clients.js';
import { initialAccessTokenPolicy } from './initialAccessTokens.js';
import type { Ports } from './ports.js';
import { clientById } from './queries/clients.js';
import {
  checkedMetadata,
  clientInformation,
  invalidToken,
  missingToken,
  newRegistrationToken,
  type ClientInformation,
} from './registeredClients.js';

const verifier = new ClientSecretVerifier();

/**
 * RFC 7592 §2: the client `token` manages. Unknown, deleted or disabled clients, operators' clients (they have no
 * registration access token) and a wrong token are all one answer: invalid_token, 401.
 */
function managedClient(ports: Pick<Ports, 'views'>, clientId: string, token: string | undefined) {
  if (token === undefined) throw missingToken('a registration access token is required');
  const client = clientById(ports.views, clientId);
  const presented = sha256(token);
  if (!client?.registrationTokenHash || client.disabled || !sameHash(client.registrationTokenHash, presented))
    throw invalidToken('the registration access token is not valid');
  return { client, presented };
}

/** The caller holds the client's registration access token (checked before a request's body is looked at). */
export function authenticateManagement(ports: Pick<Ports, 'views'>, clientId: string, token: string | undefined) {
  managedClient(ports, clientId, token);
}

/**
 * RFC 7592 §2.1, §3: the client as registered now, with the registration access token the caller presented (required
 * in the answer); the secret cannot be shown again, only its hash is kept.
 */
export function readRegisteredClient(
  ports: Pick<Ports, 'config' | 'views'>,
  clientId: string,
  token: string | undefined,
): ClientInformation {
  const { client } = managedClient(ports, clientId, token);
  return clientInformation(ports.config.issuer, client, { registrationToken: token });
}

/** RFC 7592 §2.2: client_id must be the client's own; a client_secret, when sent, its current one. */
async function checkIdentity(client: ClientState, body: Record<string, unknown>): Promise<void> {
  if (body.client_id !== client.clientId)
    throw new ClientMetadataError('invalid_client_metadata', 'client_id must be the registered client_id');
  if (body.client_secret === undefined) return;
  const matches =
    typeof body.client_secret === 'string' &&
    client.secret !== null &&
    (await verifier.check(client.clientId, body.client_secret, client.secret));
  if (!matches) throw new ClientMetadataError('invalid_client_metadata', 'client_secret is not the current secret');
}

/**
 * RFC 7592 §2.2: the metadata replaced as a whole (every field left out takes its default), checked as a registration
 * is (server policy, and the policy of the initial access token it registered with). The registration access token
 * is replaced: the answer holds the new one. The secret stays.
 */
export async function replaceRegisteredClient(
  ports: Pick<Ports, 'clock' | 'config' | 'events' | 'views'>,
  statements: SoftwareStatements,
  update: { clientId: string; token: string | undefined; body: Record<string, unknown> },
  ctx: CommandContext,
): Promise<ClientInformation> {
  const { client, presented } = managedClient(ports, update.clientId, update.token);
  await checkIdentity(client, update.body);
  // A statement sent again vouches for its fields as at registration.
  const statement =
    update.body.software_statement === undefined
      ? undefined
      : await statements.verify(update.body.software_statement, Math.floor(ports.clock() / 1000));
  // The ledger names the issuer that vouched at registration: another one may not take its place.
  const vouchedBy = client.registration?.via === 'dynamic' ? client.registration.softwareStatementIssuer : undefined;
  if (statement && vouchedBy !== undefined && statement.iss !== vouchedBy)
    throw new OAuthError(
      400,
      'unapproved_software_statement',
      `the client was registered with ${vouchedBy}'s statement`,
    );
  const requested = { ...update.body, ...statement?.metadata };
  const tokenId = client.registration?.via === 'dynamic' ? client.registration.initialAccessTokenId : undefined;
  const policy = tokenId === undefined ? undefined : await initialAccessTokenPolicy(ports, tokenId);
  const metadata = await checkedMetadata(ports, requested, [policy], { clientId: client.clientId, current: client });
  const rotation = await secretRotation(ports, update.body);
  const next = newRegistrationToken();
  try {
    await handleClientCommand(
      ports,
      {
        type: 'UpdateRegisteredClient',
        clientId: client.clientId,
        metadata,
        presented,
        next: next.hash,
        ...(rotation && { rotateSecret: rotation.command }),
      },
      ctx,
    );
  } catch (err) {
    // A concurrent update with the same token won: this one's token is no longer the client's.
    if (err instanceof ClientCommandError && err.error === 'invalid_token') throw invalidToken(err.description);
    throw err;
  }
  return clientInformation(ports.config.issuer, viewedClient(ports, client.clientId), {
    registrationToken: next.token,
    ...(rotation && { secret: rotation.secret }),
    ...(statement && { softwareStatement: update.body.software_statement as string }),
  });
}

/**
 * RFC 7592 §2.2 lets the server hand out a new secret on PUT; a client asks for one with the extension member
 * `rotate_client_secret: true` (the replaced secret keeps working for a day, as an operator's rotation, so the client's
 * running instances can switch without an outage).
 */
async function secretRotation(ports: Pick<Ports, 'clock'>, body: Record<string, unknown>) {
  const asked = body.rotate_client_secret;
  if (asked === undefined || asked === false) return undefined;
  if (asked !== true)
    throw new ClientMetadataError('invalid_client_metadata', 'rotate_client_secret must be a boolean');
  const secret = generateClientSecret();
  const command = {
    secret: await hashClientSecret(secret, true),
    graceSeconds: DEFAULT_SECRET_GRACE_SECONDS,
    now: ports.clock(),
  };
  return { secret, command };
}

/** RFC 7592 §2.3: the client is deleted for good (its tokens revoked, its id never given again). */
export async function deleteRegisteredClient(
  ports: Pick<Ports, 'cache' | 'clock' | 'config' | 'events' | 'history' | 'settleHistory' | 'views'>,
  clientId: string,
  token: string | undefined,
  ctx: CommandContext,
): Promise<void> {
  managedClient(ports, clientId, token);
  await deleteClient(ports, clientId, 'deleted by the client (RFC 7592)', ctx);
}
