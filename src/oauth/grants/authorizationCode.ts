import { readGrant } from '../../application/grantIssuance.js';
import { redeemAuthorizationCode } from '../../application/redeemCode.js';
import { GrantError } from '../../domain/grants/decide.js';
import { sha256 } from '../../crypto/hash.js';
import { codeByHash } from '../../application/queries/authorization.js';
import { OAuthError, invalidRequest } from '../errors.js';
import { resourceIndicators } from '../scope.js';
import { grantTokenResponse, type GrantHandler } from './grant.js';

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const toOAuthError = (err: unknown): unknown =>
  err instanceof GrantError ? new OAuthError(400, err.code, err.message) : err;

/** RFC 6749 §4.1.3 with RFC 7636 §4.6: the code, bound to client, redirect URI and PKCE challenge. */
export const authorizationCodeGrant: GrantHandler = {
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier', 'resource'],
  multiValued: ['resource'],
  async handle({ runtime, client, params, lists, ctx, dpop }) {
    if (!params.code) throw invalidRequest('code is missing');
    // A verifier outside RFC 7636 §4.1 can match no challenge: verification fails (§4.6), as oidc-provider answers.
    if (params.code_verifier !== undefined && !CODE_VERIFIER.test(params.code_verifier)) {
      throw new OAuthError(
        400,
        'invalid_grant',
        'code_verifier must be 43 to 128 characters of [A-Za-z0-9._~-] (RFC 7636 section 4.1)',
      );
    }
    const known = codeByHash(runtime.views, sha256(params.code));
    if (!known) throw new OAuthError(400, 'invalid_grant', 'the code is invalid');
    const grant = await readGrant(runtime.ports, known.grantId);
    if (!grant.code) throw new OAuthError(400, 'invalid_grant', 'the code is invalid');
    try {
      const issued = await redeemAuthorizationCode(
        runtime.ports,
        {
          grantId: known.grantId,
          code: params.code,
          client: client.client,
          redirectUri: params.redirect_uri,
          codeVerifier: params.code_verifier,
          issued: grant.code,
          resource: resourceIndicators(lists.resource),
          jkt: dpop?.jkt,
        },
        ctx,
      );
      return grantTokenResponse(issued);
    } catch (err) {
      throw toOAuthError(err);
    }
  },
};
