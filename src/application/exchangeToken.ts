import { tokenExchangePolicy } from '../domain/clients/tokenExchangePolicy.js';
import { TOKEN_EXCHANGE_GRANT } from '../domain/clients/events.js';
import type { ClientState } from '../domain/clients/state.js';
import { ExchangeError, TOKEN_TYPES, decideExchange, type PresentedToken } from '../domain/exchange/decide.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import { readGrant } from './grantIssuance.js';
import { epochSeconds, type Ports } from './ports.js';
import { isClientDisabled } from './queries/clients.js';
import { exchangedTokenByHashOf, knownIdToken } from './queries/tokenExchange.js';
import { activeAccessToken } from './queries/tokens.js';
import { isUserDisabled, userBySub } from './queries/users.js';
import { scopeForUser } from './personScope.js';
import { revokeToken } from './revokeToken.js';
import { issueAccessToken } from './issueAccessToken.js';
import type { IssuedAccessToken } from './tokens.js';

/** A token presented to the exchange: as sent, with its RFC 8693 §3 type identifier. */
interface Presented {
  token: string;
  type: string;
}

export interface TokenExchangeRequest {
  client: ClientState;
  subject: Presented;
  actor: Presented | null;
  /** `resource` (checked as RFC 8707 URIs) and `audience` values together. */
  targets: string[];
  scope: string | undefined;
  requestedTokenType: 'access_token' | 'jwt';
  /** RFC 9449 §5: the DPoP key the exchanged token is bound to, when the request carried a proof. */
  jkt?: string;
}

interface ExchangedAccessToken {
  issued: IssuedAccessToken;
  issuedTokenType: string;
  scope: string;
}

type ExchangePorts = Pick<
  Ports,
  'cache' | 'clock' | 'config' | 'events' | 'history' | 'keys' | 'settleHistory' | 'views'
>;

const unknown = (what: string) => new ExchangeError('invalid_grant', `the ${what} is invalid, expired or revoked`);

/**
 * An access token we issued, active now: known by its hash, neither revoked nor expired, its client and user
 * enabled, and (when it was itself exchanged) its chain standing.
 */
function presentedAccessToken(ports: Pick<Ports, 'views'>, token: string, now: number, what: string): PresentedToken {
  const hash = sha256(token);
  const found = activeAccessToken(ports.views, hash, now);
  if (!found || isUserDisabled(ports.views, found.sub)) throw unknown(what);
  const exchanged = exchangedTokenByHashOf(ports.views, hash);
  return {
    jti: found.jti,
    tokenHash: hash,
    tokenType: 'access_token',
    clientId: found.clientId,
    sub: found.sub,
    scope: found.scope,
    exp: found.exp,
    grantId: found.grantId ?? exchanged?.rootGrant ?? null,
    ...(exchanged?.act ? { act: exchanged.act } : {}),
    depth: exchanged?.depth ?? 0,
  };
}

/** An ID token we issued (its signature the caller checked), unexpired, its grant standing: the grant's scope. */
async function presentedIdToken(ports: ExchangePorts, token: string, now: number, what: string) {
  const hash = sha256(token);
  const found = knownIdToken(ports.views, hash);
  if (!found || found.exp <= now) throw unknown(what);
  if (isClientDisabled(ports.views, found.clientId) || isUserDisabled(ports.views, found.sub)) throw unknown(what);
  const grant = await readGrant(ports, found.grantId);
  if (grant.revoked || !grant.code) throw unknown(what);
  const presented: PresentedToken = {
    jti: found.jti,
    tokenHash: hash,
    tokenType: 'id_token',
    clientId: found.clientId,
    sub: found.sub,
    scope: grant.code.scope,
    exp: found.exp,
    grantId: found.grantId,
    depth: 0,
  };
  return presented;
}

async function presented(ports: ExchangePorts, p: Presented, now: number, what: string): Promise<PresentedToken> {
  switch (p.type) {
    case TOKEN_TYPES.access_token:
      return presentedAccessToken(ports, p.token, now, what);
    case TOKEN_TYPES.id_token:
      return presentedIdToken(ports, p.token, now, what);
    case TOKEN_TYPES.jwt:
      throw new ExchangeError(
        'invalid_request',
        `${what}_type jwt: no external issuer is trusted here; send our access_token or id_token`,
      );
    default:
      throw new ExchangeError(
        'invalid_request',
        `${what}_type must be ${TOKEN_TYPES.access_token} or ${TOKEN_TYPES.id_token}`,
      );
  }
}

/**
 * RFC 8693 token exchange: a new access token for the subject token's subject, for the audience and scope the
 * client's policy allows, carrying `act` for delegation, recorded with what it was derived from (AccessTokenIssued
 * `derivedFrom`) on a stream of its own, and never outliving the subject token. A refusal writes nothing.
 *
 * A revocation of the subject token that lands in the ledger between our check and our append (another instance)
 * is caught once our token is applied: the subject is looked up again, and if it ended, the new token is revoked
 * and the request refused, as a user's revocation is for a refresh in flight.
 */
export async function exchangeToken(
  ports: ExchangePorts,
  req: TokenExchangeRequest,
  ctx: CommandContext,
): Promise<ExchangedAccessToken> {
  const now = epochSeconds(ports.clock);
  const subject = await presented(ports, req.subject, now, 'subject_token');
  const actor = req.actor ? await presented(ports, req.actor, now, 'actor_token') : null;
  const decision = decideExchange({
    subject,
    actor,
    targets: req.targets,
    scope: req.scope,
    requestedTokenType: req.requestedTokenType,
    format: req.client.metadata.access_token_format,
    policy: tokenExchangePolicy(req.client.metadata),
  });
  // A person's exchanged token carries ledger:* scopes only for the roles they hold now, as their other tokens do.
  const scope = userBySub(ports.views, decision.sub)
    ? scopeForUser(ports, decision.sub, decision.scope)
    : decision.scope;
  const issued = await issueAccessToken(
    ports,
    {
      client: req.client,
      sub: decision.sub,
      scope,
      aud: decision.aud,
      grantType: TOKEN_EXCHANGE_GRANT,
      jkt: req.jkt,
      exchange: {
        derivedFrom: decision.derivedFrom,
        ...(decision.act ? { act: decision.act } : {}),
        notAfter: decision.notAfter,
      },
    },
    ctx,
  );
  try {
    await presented(ports, req.subject, now, 'subject_token');
  } catch {
    const reason = 'the subject token was revoked while it was being exchanged';
    await revokeToken(ports, issued.claims.jti, { operator: ctx.actor }, reason, ctx);
    throw unknown('subject_token');
  }
  return { issued, issuedTokenType: decision.issuedTokenType, scope };
}
