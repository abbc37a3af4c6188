import { Refusal } from '../refusal.js';
import type { AccessTokenIssuedEvent } from '../tokens/events.js';
import type { CodeIssuedEvent, IdTokenIssuedEvent, RefreshIssuedEvent } from './events.js';
import type { GrantEvent } from './evolve.js';
import type { GrantState } from './state.js';

type AccessData = AccessTokenIssuedEvent['data'];
type RefreshData = RefreshIssuedEvent['data'];

export type GrantCommand =
  | { type: 'IssueCode'; code: CodeIssuedEvent['data'] }
  | {
      type: 'RedeemCode';
      codeHash: string;
      clientId: string;
      /** As sent at the token endpoint; undefined when absent. */
      redirectUri: string | undefined;
      /** BASE64URL(SHA256(code_verifier)), or null when no verifier was sent. */
      verifierChallenge: string | null;
      now: number;
      access: AccessData;
      refresh: RefreshData | null;
      idToken?: IdTokenIssuedEvent['data'] | null;
    }
  | {
      type: 'Refresh';
      jti: string;
      clientId: string;
      scope: string | undefined;
      now: number;
      access: AccessData;
      refresh: RefreshData;
      /** A new ID token for an `openid` grant (OIDC Core §12.2); written only when the rotation is. */
      idToken?: IdTokenIssuedEvent['data'] | null;
    }
  | { type: 'RevokeToken'; jti: string; clientId: string | null; reason: string }
  | { type: 'RevokeGrant'; reason: string };

/** A refused grant request; `code` is the RFC 6749 §5.2 error. */
export class GrantError extends Refusal {
  override readonly name = 'GrantError';
  constructor(
    readonly code: 'invalid_grant' | 'invalid_scope' | 'invalid_target',
    message: string,
  ) {
    super(code, message, { reason: code });
  }
}

/**
 * The audience of a grant's access token (RFC 8707 §2.2): the resources the token request names,
 * each one the authorization request named (nothing else was consented to); without any, every
 * resource of the grant; for a grant that named none, the issuer.
 */
export function grantAudience(requested: readonly string[], granted: readonly string[], issuer: string): string[] {
  const outside = requested.filter((r) => !granted.includes(r));
  if (outside.length > 0) {
    throw new GrantError(
      'invalid_target',
      granted.length === 0
        ? 'this grant was authorized without resource indicators: its tokens are for this server only'
        : `resource ${outside[0]} was not part of the authorization request`,
    );
  }
  if (requested.length > 0) return [...requested];
  return granted.length > 0 ? [...granted] : [issuer];
}

const invalidGrant = (why: string) => new GrantError('invalid_grant', why);
const revokeGrant = (grantId: string, reason: string): GrantEvent => ({
  type: 'GrantRevoked',
  data: { grantId, reason },
});

/** The events that answer a request with invalid_grant after they are written (reuse detection). */
export const isReuseVerdict = (events: GrantEvent[]) =>
  events.some((e) => e.type === 'AuthorizationCodeReuseDetected' || e.type === 'RefreshTokenReuseDetected');

function tokensFor(
  access: AccessData,
  refresh: RefreshData | null,
  idToken?: IdTokenIssuedEvent['data'] | null,
): GrantEvent[] {
  const events: GrantEvent[] = [{ type: 'AccessTokenIssued', data: access }];
  if (refresh) events.push({ type: 'RefreshTokenIssued', data: refresh });
  if (idToken) events.push({ type: 'IdTokenIssued', data: idToken });
  return events;
}

function redeem(c: Extract<GrantCommand, { type: 'RedeemCode' }>, state: GrantState): GrantEvent[] {
  const code = state.code;
  if (!code || code.codeHash !== c.codeHash) throw invalidGrant('the code is invalid');
  if (code.redeemed) {
    // RFC 6749 §4.1.2: a code used twice was stolen or replayed; what it produced must die with it.
    if (state.revoked) throw invalidGrant('the code was already used');
    return [
      { type: 'AuthorizationCodeReuseDetected', data: { grantId: code.grantId, codeHash: code.codeHash } },
      revokeGrant(code.grantId, 'authorization code reused'),
    ];
  }
  if (state.revoked) throw invalidGrant('the grant was revoked');
  if (code.clientId !== c.clientId) throw invalidGrant('the code was issued to another client');
  if (c.now >= code.exp) throw invalidGrant('the code has expired');
  if ((c.redirectUri !== undefined || code.redirectUriSent) && c.redirectUri !== code.redirectUri) {
    throw invalidGrant(
      c.redirectUri === undefined
        ? 'redirect_uri is missing: the authorization request had one'
        : 'redirect_uri does not match the authorization request',
    );
  }
  // RFC 9449 §10: a code requested with dpop_jkt is redeemed only with a proof of that key.
  if (code.dpopJkt !== undefined && c.access.jkt !== code.dpopJkt) {
    throw invalidGrant(
      c.access.jkt === undefined
        ? 'a DPoP proof is required: the authorization request named dpop_jkt'
        : 'the DPoP proof key does not match dpop_jkt',
    );
  }
  if (code.codeChallenge === null) {
    if (c.verifierChallenge !== null)
      throw invalidGrant('code_verifier sent but the authorization request had no code_challenge');
  } else {
    if (c.verifierChallenge === null) throw invalidGrant('code_verifier is missing');
    if (c.verifierChallenge !== code.codeChallenge)
      throw invalidGrant('code_verifier does not match the code_challenge');
  }
  return [
    { type: 'AuthorizationCodeRedeemed', data: { grantId: code.grantId, codeHash: code.codeHash } },
    ...tokensFor(c.access, c.refresh, c.idToken),
  ];
}

function refresh(c: Extract<GrantCommand, { type: 'Refresh' }>, state: GrantState): GrantEvent[] {
  const token = state.refresh.get(c.jti);
  if (!token) throw invalidGrant('the refresh token is invalid');
  if (token.status === 'rotated') {
    // RFC 9700 §4.14.2: a rotated-out refresh token came back: one of its holders is an attacker.
    if (state.revoked) throw invalidGrant('the refresh token is no longer valid');
    return [
      { type: 'RefreshTokenReuseDetected', data: { grantId: token.grantId, jti: token.jti } },
      revokeGrant(token.grantId, 'refresh token reused'),
    ];
  }
  if (token.status === 'revoked' || state.revoked) throw invalidGrant('the refresh token was revoked');
  if (token.clientId !== c.clientId) throw invalidGrant('the refresh token was issued to another client');
  if (c.now >= token.exp || c.now >= token.familyExp) throw invalidGrant('the refresh token has expired');
  // RFC 9449 §5: a bound refresh token is used only with a proof of its key (node-oidc-provider: invalid_grant).
  if (token.jkt !== undefined && c.access.jkt !== token.jkt)
    throw invalidGrant('the refresh token is DPoP-bound: a proof of its key is required');
  if (c.scope !== undefined) {
    const held = token.scope.split(' ');
    const extra = c.scope.split(' ').filter((s) => s && !held.includes(s));
    if (extra.length) throw new GrantError('invalid_scope', `scope may only narrow on refresh: ${extra.join(' ')}`);
  }
  return [
    { type: 'RefreshTokenRotated', data: { grantId: token.grantId, jti: token.jti, successorJti: c.refresh.jti } },
    ...tokensFor(c.access, c.refresh, c.idToken),
  ];
}

export function decideGrant(command: GrantCommand, state: GrantState): GrantEvent[] {
  switch (command.type) {
    case 'IssueCode':
      if (state.code) throw invalidGrant('grant already started');
      return [{ type: 'AuthorizationCodeIssued', data: command.code }];
    case 'RedeemCode':
      return redeem(command, state);
    case 'Refresh':
      return refresh(command, state);
    case 'RevokeToken': {
      if (state.revoked) return [];
      const access = state.access.get(command.jti);
      if (access && !access.revoked && (command.clientId === null || command.clientId === access.clientId)) {
        return [
          {
            type: 'TokenRevoked',
            data: { jti: access.jti, tokenHash: access.tokenHash, kind: 'access_token', reason: command.reason },
          },
        ];
      }
      const refreshToken = state.refresh.get(command.jti);
      // RFC 7009 §2.1: revoking a refresh token revokes the grant's access tokens too.
      if (
        refreshToken &&
        refreshToken.status !== 'revoked' &&
        (command.clientId === null || command.clientId === refreshToken.clientId)
      ) {
        return [revokeGrant(refreshToken.grantId, command.reason)];
      }
      return [];
    }
    case 'RevokeGrant':
      return state.revoked || !state.code ? [] : [revokeGrant(state.code.grantId, command.reason)];
  }
}
