import { exchangeToken } from '../../application/exchangeToken.js';
import { TOKEN_EXCHANGE_GRANT } from '../../domain/clients/events.js';
import { TOKEN_TYPES } from '../../domain/exchange/decide.js';
import { verifyIdTokenHint } from '../../crypto/idToken.js';
import type { Runtime } from '../../runtime.js';
import { OAuthError, invalidRequest, unauthorizedClient } from '../errors.js';
import { resourceIndicators } from '../scope.js';
import type { GrantHandler } from './grant.js';

/** RFC 8693 §2.1: absent means an access token; jwt asks for a JWT access token. */
function requestedTokenType(value: string | undefined): 'access_token' | 'jwt' {
  if (value === undefined || value === TOKEN_TYPES.access_token) return 'access_token';
  if (value === TOKEN_TYPES.jwt) return 'jwt';
  throw invalidRequest(`requested_token_type must be ${TOKEN_TYPES.access_token} or ${TOKEN_TYPES.jwt}`);
}

/** An ID token must carry our signature before its hash is looked up (a forged one is refused the same way). */
async function checkIdTokenSignature(runtime: Runtime, token: string, type: string, what: string): Promise<void> {
  if (type !== TOKEN_TYPES.id_token) return;
  if (!(await verifyIdTokenHint(token, runtime.keys.jwks(), runtime.config.issuer)))
    throw new OAuthError(400, 'invalid_grant', `the ${what} is invalid, expired or revoked`);
}

/**
 * RFC 8693 token exchange: a subject_token (and for delegation an actor_token) of ours for a new access token, under
 * the client's token exchange policy (src/domain/clients/tokenExchangePolicy.ts). Confidential clients only.
 */
export const tokenExchangeGrant: GrantHandler = {
  grantType: TOKEN_EXCHANGE_GRANT,
  parameters: [
    'subject_token',
    'subject_token_type',
    'actor_token',
    'actor_token_type',
    'resource',
    'audience',
    'scope',
    'requested_token_type',
  ],
  multiValued: ['resource', 'audience'],
  async handle({ runtime, client, params, lists, ctx, dpop }) {
    if (client.method === 'none') throw unauthorizedClient('a public client cannot use token exchange');
    if (!params.subject_token) throw invalidRequest('subject_token is missing');
    if (!params.subject_token_type) throw invalidRequest('subject_token_type is missing');
    if (params.actor_token !== undefined && !params.actor_token_type)
      throw invalidRequest('actor_token_type is missing: it is required with actor_token');
    if (params.actor_token === undefined && params.actor_token_type !== undefined)
      throw invalidRequest('actor_token_type without actor_token');
    const tokenType = requestedTokenType(params.requested_token_type);
    const resources = resourceIndicators(lists.resource);
    const audiences = [...new Set(lists.audience ?? [])];
    if (audiences.some((a) => a.length === 0)) throw invalidRequest('audience must not be empty');
    await checkIdTokenSignature(runtime, params.subject_token, params.subject_token_type, 'subject_token');
    if (params.actor_token !== undefined)
      await checkIdTokenSignature(runtime, params.actor_token, params.actor_token_type!, 'actor_token');
    const exchanged = await exchangeToken(
      runtime.ports,
      {
        client: client.client,
        subject: { token: params.subject_token, type: params.subject_token_type },
        actor: params.actor_token !== undefined ? { token: params.actor_token, type: params.actor_token_type! } : null,
        targets: [...resources, ...audiences],
        scope: params.scope,
        requestedTokenType: tokenType,
        jkt: dpop?.jkt,
      },
      ctx,
    );
    // RFC 8693 §2.2.1: an access token, Bearer unless a proof bound it; scope always, since the policy may narrow it.
    return {
      access_token: exchanged.issued.token,
      issued_token_type: exchanged.issuedTokenType,
      token_type: dpop ? 'DPoP' : 'Bearer',
      expires_in: exchanged.issued.expiresIn,
      scope: exchanged.scope,
    };
  },
};
