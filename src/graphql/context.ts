import { GraphQLError } from 'graphql';
import { clientById } from '../application/queries/clients.js';
import { activeAccessToken } from '../application/queries/tokens.js';
import { userBySub } from '../application/queries/users.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Runtime } from '../runtime.js';
import { scopeForPerson } from '../domain/users/roles.js';
import { sha256 } from '../crypto/hash.js';

const ADMIN_SCOPE = 'ledger:admin';
const AUDIT_SCOPE = 'ledger:audit';

/** The client whose access token called, with its token's scopes (a person's: those their roles allow now). */
export interface Operator {
  clientId: string;
  scopes: Set<string>;
  /** The person the token was issued to (their roles gate its ledger:* scopes); absent for a client's own token. */
  sub?: string;
}

export interface GraphQLContext {
  runtime: Runtime;
  /** null: no token, or one that is not active (unknown, revoked, expired, its client disabled). */
  operator: Operator | null;
  requestId: string;
  /** Over graphql-ws: looks the connection's token up again, so a live feed ends when it is revoked. */
  stillAuthorized?: () => boolean;
}

/** Why no operator: no Bearer token at all, or one that is not active for this server. */
type Authentication = { operator: Operator } | { refused: 'no_token' | 'invalid_token' };

/**
 * Looks the bearer token up in the active-token view on every request: a revoked operator token
 * loses access the moment its revocation is applied. A token restricted to other resources (RFC 8707
 * `resource`, its `aud` not naming this server) is not for this API, as at UserInfo.
 */
export function authenticate(
  runtime: Runtime,
  authorization: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): Authentication {
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization ?? '');
  if (!match) return { refused: /^Bearer\s/i.test(authorization ?? '') ? 'invalid_token' : 'no_token' };
  // Active: issued, not revoked, not expired, its client enabled.
  const token = activeAccessToken(runtime.views, sha256(match[1]), nowSeconds);
  if (!token || !token.aud.includes(runtime.config.issuer)) return { refused: 'invalid_token' };
  // RFC 9449 §7.2: a DPoP-bound token is no bearer token (this API takes bearer tokens only).
  if (token.jkt !== undefined) return { refused: 'invalid_token' };
  // A client that registered itself (or is a metadata document) is never an operator, whatever its token says.
  if (clientById(runtime.views, token.clientId)?.registration)
    return { operator: { clientId: token.clientId, scopes: new Set() } };
  const scopes = new Set(token.scope.split(' ').filter(Boolean));
  // A person's token (any grant but the client's own): its ledger scopes only while the person holds those roles now,
  // none once they are disabled or erased. Read at every request, so a revoked role is refused at the next one.
  const user = token.grantType === 'client_credentials' ? undefined : userBySub(runtime.views, token.sub);
  if (!user) return { operator: { clientId: token.clientId, scopes } };
  const allowed = scopeForPerson(token.scope, user.disabled || user.erased ? [] : user.roles);
  return { operator: { clientId: token.clientId, sub: user.sub, scopes: new Set(allowed.split(' ').filter(Boolean)) } };
}

/** The operator, or null for no token or one that is not active for this server. */
export function operatorFrom(
  runtime: Runtime,
  authorization: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): Operator | null {
  const result = authenticate(runtime, authorization, nowSeconds);
  return 'operator' in result ? result.operator : null;
}

/** May this operator use the API at all (before its document is looked at)? */
export const isOperator = (operator: Operator) => operator.scopes.has(ADMIN_SCOPE) || operator.scopes.has(AUDIT_SCOPE);

export const UNAUTHENTICATED_MESSAGE = 'a Bearer access token with scope ledger:admin or ledger:audit is required';
export const NO_LEDGER_SCOPE_MESSAGE = 'the token needs scope ledger:audit (queries) or ledger:admin';

const unauthenticated = () =>
  new GraphQLError(UNAUTHENTICATED_MESSAGE, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });

const forbidden = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });

/**
 * Who may run what: audit reads (queries and subscriptions), admin reads and writes. Checked before any resolver runs.
 */
export function authorize(operator: Operator | null, operation: 'query' | 'mutation' | 'subscription'): void {
  if (!operator) throw unauthenticated();
  if (!isOperator(operator)) throw forbidden(NO_LEDGER_SCOPE_MESSAGE);
  if (operation === 'mutation' && !operator.scopes.has(ADMIN_SCOPE))
    throw forbidden('only ledger:admin may change the ledger');
}

/** Every mutation's events name the operator and carry the reason. */
export function commandContext(ctx: GraphQLContext, reason?: string): CommandContext {
  if (!ctx.operator) throw unauthenticated();
  return {
    // A person acting through a client (the console) is named by their sub, as their own actions are.
    actor: ctx.operator.sub !== undefined ? `user:${ctx.operator.sub}` : `operator:${ctx.operator.clientId}`,
    correlationId: ctx.requestId,
    ...(reason !== undefined ? { reason } : {}),
  };
}
