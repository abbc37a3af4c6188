import { Refusal } from '../refusal.js';
import type { TokenExchangePolicy } from '../clients/tokenExchangePolicy.js';
import type { Act, DerivedFrom } from './events.js';

/** RFC 8693 §3 token type identifiers. */
export const TOKEN_TYPES = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  refresh_token: 'urn:ietf:params:oauth:token-type:refresh_token',
} as const;

/** A refused exchange; `code` is the RFC 6749 §5.2 / RFC 8693 §2.2.2 error. Nothing is written. */
export class ExchangeError extends Refusal {
  override readonly name = 'ExchangeError';
  constructor(
    readonly code: 'invalid_request' | 'invalid_grant' | 'invalid_scope' | 'invalid_target' | 'unauthorized_client',
    message: string,
  ) {
    super(code, message, { reason: code });
  }
}

/** A presented token we issued, found active: what an exchange may take from it. */
export interface PresentedToken {
  jti: string;
  tokenHash: string;
  tokenType: 'access_token' | 'id_token';
  clientId: string;
  sub: string;
  scope: string;
  exp: number;
  /** The grant it belongs to (or its chain started in), or null. */
  grantId: string | null;
  act?: Act;
  /** Exchanges between it and the token its chain started from: 0 for a token never exchanged. */
  depth: number;
}

interface ExchangeRequest {
  subject: PresentedToken;
  actor: PresentedToken | null;
  /** `resource` and `audience` values, as sent (resources already checked as RFC 8707 URIs). */
  targets: string[];
  scope: string | undefined;
  requestedTokenType: 'access_token' | 'jwt';
  /** The client's access token format: a JWT is all `jwt` can be. */
  format: 'jwt' | 'opaque';
  policy: TokenExchangePolicy;
}

/** What the new token is: its subject, actors, audience and scope, and what it is derived from. */
interface ExchangeDecision {
  sub: string;
  scope: string;
  aud: string[];
  act?: Act;
  derivedFrom: DerivedFrom;
  notAfter: number;
  issuedTokenType: string;
}

/**
 * RFC 8693 under the client's policy. Impersonation (no actor) keeps the subject's `act`, if any, so a delegated
 * token never becomes one without its actors; delegation nests the subject's `act` under the new actor (§4.1).
 * The scope is within both the subject token's and what the client may keep; the audience within what it may ask.
 */
export function decideExchange(r: ExchangeRequest): ExchangeDecision {
  const { subject, actor, policy } = r;
  if (!actor && !policy.impersonation)
    throw new ExchangeError(
      'unauthorized_client',
      'the client may not impersonate: send an actor_token (delegation), or register token_exchange_impersonation',
    );
  const depth = subject.depth + 1;
  if (depth > policy.maxDepth)
    throw new ExchangeError(
      'invalid_grant',
      `the subject token is already the end of a chain of ${subject.depth} exchanges (the client may make ` +
        `${policy.maxDepth})`,
    );
  if (r.requestedTokenType === 'jwt' && r.format !== 'jwt')
    throw new ExchangeError('invalid_request', "requested_token_type jwt: this client's access tokens are opaque");
  return {
    sub: subject.sub,
    scope: exchangedScope(r.scope, subject.scope, policy.scope),
    aud: exchangedAudience(r.targets, policy.audiences),
    ...actOf(subject, actor),
    derivedFrom: {
      jti: subject.jti,
      tokenHash: subject.tokenHash,
      tokenType: subject.tokenType,
      clientId: subject.clientId,
      grantId: subject.grantId,
      depth,
    },
    notAfter: subject.exp,
    issuedTokenType: r.requestedTokenType === 'jwt' ? TOKEN_TYPES.jwt : TOKEN_TYPES.access_token,
  };
}

function actOf(subject: PresentedToken, actor: PresentedToken | null): { act?: Act } {
  if (!actor) return subject.act ? { act: subject.act } : {};
  return { act: { sub: actor.sub, ...(subject.act ? { act: subject.act } : {}) } };
}

const tokens = (scope: string) => scope.split(' ').filter(Boolean);

/** Requested: each scope must be the subject's and the client's to keep; none requested: all of those. */
function exchangedScope(requested: string | undefined, subject: string, allowed: readonly string[]): string {
  const held = tokens(subject);
  if (requested === undefined) return held.filter((s) => allowed.includes(s)).join(' ');
  const wanted = [...new Set(tokens(requested))];
  if (wanted.length === 0) throw new ExchangeError('invalid_scope', 'scope is empty');
  const beyond = wanted.filter((s) => !held.includes(s));
  if (beyond.length) throw new ExchangeError('invalid_scope', `the subject token has no ${beyond.join(' ')}`);
  const refused = wanted.filter((s) => !allowed.includes(s));
  if (refused.length)
    throw new ExchangeError('invalid_scope', `the client may not keep ${refused.join(' ')} in an exchanged token`);
  return wanted.join(' ');
}

/** Each target must be one the client may ask for; none: its one audience, if it has exactly one. */
function exchangedAudience(targets: string[], allowed: readonly string[]): string[] {
  const wanted = [...new Set(targets)];
  const refused = wanted.filter((t) => !allowed.includes(t));
  if (refused.length) throw new ExchangeError('invalid_target', `the client may not request a token for ${refused[0]}`);
  if (wanted.length > 0) return wanted;
  if (allowed.length === 1) return [allowed[0]];
  throw new ExchangeError('invalid_target', 'name the resource or audience the token is for');
}
