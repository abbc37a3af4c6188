import { randomBytes } from 'node:crypto';
import type { ClientRegistration } from '../domain/clients/events.js';
import { InitialAccessTokenRefused } from '../domain/initialAccessTokens/decide.js';
import type { RegistrationPolicy } from '../domain/registration/policy.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { SoftwareStatements } from '../oauth/softwareStatement.js';
import { generateClientSecret, hashClientSecret } from '../security/clientSecrets.js';
import { handleClientCommand, viewedClient } from './clients.js';
import { checkInitialAccessToken, useInitialAccessToken } from './initialAccessTokens.js';
import type { Ports } from './ports.js';
import {
  checkedMetadata,
  clientInformation,
  invalidToken,
  missingToken,
  needsSecret,
  newRegistrationToken,
  type ClientInformation,
} from './registeredClients.js';

/** Who may register, and the issuers whose software statements count (from the settings, read at startup). */
interface RegistrationAccess {
  mode: 'initial_access_token' | 'open';
  statements: SoftwareStatements;
}

interface RegistrationRequest {
  /** The JSON object posted (RFC 7591 §3.1). */
  body: Record<string, unknown>;
  /** The bearer token of the request: an initial access token. */
  initialAccessToken?: string;
}

/** A token that is not good (or, racing another registration, no longer is) is invalid_token, 401. */
async function asBearerRefusal<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw err instanceof InitialAccessTokenRefused ? invalidToken(err.description) : err;
  }
}

/**
 * RFC 7591 §3: a client registers itself. Who asks is settled first (the initial access token, or a software
 * statement from a trusted issuer standing for one); then everything is checked as a dry run (metadata, schema,
 * policies, the decider); only then is the token's use recorded and the client registered. A refusal writes nothing.
 * The answer holds the client's secret (when it has one) and its registration access token (RFC 7592), shown once.
 */
export async function registerDynamicClient(
  ports: Pick<Ports, 'clock' | 'config' | 'events' | 'views'>,
  access: RegistrationAccess,
  request: RegistrationRequest,
  ctx: CommandContext,
): Promise<ClientInformation> {
  const { body } = request;
  const statementGiven = body.software_statement !== undefined;
  if (access.mode === 'initial_access_token' && request.initialAccessToken === undefined && !statementGiven)
    throw missingToken('an initial access token or a software statement is required to register');
  const token =
    request.initialAccessToken === undefined
      ? undefined
      : await asBearerRefusal(checkInitialAccessToken(ports, request.initialAccessToken));
  // RFC 7591 §2.3: the statement's claims take precedence over the same fields sent in clear.
  const statement = statementGiven
    ? await access.statements.verify(body.software_statement, Math.floor(ports.clock() / 1000))
    : undefined;
  const registration: ClientRegistration = {
    via: 'dynamic',
    access: token ? 'initial_access_token' : statement ? 'software_statement' : 'open',
    ...(token && { initialAccessTokenId: token.tokenHash }),
    ...(statement && { softwareStatementIssuer: statement.iss }),
  };
  const clientId = randomBytes(16).toString('base64url');
  const requested = { ...body, ...statement?.metadata };
  const policies: (RegistrationPolicy | undefined)[] = [token?.policy];
  const metadata = await checkedMetadata(ports, requested, policies, { clientId });
  const secret = needsSecret(metadata) ? generateClientSecret() : null;
  const secretHash = secret === null ? null : await hashClientSecret(secret, true);
  if (token) await asBearerRefusal(useInitialAccessToken(ports, token.tokenHash, clientId, ctx));
  const registrationToken = newRegistrationToken();
  await handleClientCommand(
    ports,
    {
      type: 'RegisterClient',
      clientId,
      metadata,
      secret: secretHash,
      registration,
      registrationTokenHash: registrationToken.hash,
    },
    ctx,
  );
  return clientInformation(ports.config.issuer, viewedClient(ports, clientId), {
    secret,
    registrationToken: registrationToken.token,
    ...(statement && { softwareStatement: body.software_statement as string }),
  });
}
