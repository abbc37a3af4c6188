import { rotateRefreshToken } from '../../application/rotateRefreshToken.js';
import { sha256 } from '../../crypto/hash.js';
import { refreshTokenByHash } from '../../application/queries/authorization.js';
import { OAuthError, invalidRequest } from '../errors.js';
import { resourceIndicators } from '../scope.js';
import { toOAuthError } from './authorizationCode.js';
import { grantTokenResponse, type GrantHandler } from './grant.js';

/**
 * RFC 6749 §6, rotated on every use (RFC 9700 §4.14.2): the old token dies, a reused one kills the grant.
 * An `openid` grant gets a new ID token for the same login too (OIDC Core §12.2), unless `scope` drops openid.
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope', 'resource'],
  multiValued: ['resource'],
  async handle({ runtime, client, params, lists, ctx, dpop }) {
    if (!params.refresh_token) throw invalidRequest('refresh_token is missing');
    const held = refreshTokenByHash(runtime.views, sha256(params.refresh_token));
    if (!held) throw new OAuthError(400, 'invalid_grant', 'the refresh token is invalid');
    const resource = resourceIndicators(lists.resource);
    try {
      const issued = await rotateRefreshToken(
        runtime.ports,
        {
          grantId: held.grantId,
          jti: held.jti,
          client: client.client,
          scope: params.scope,
          held,
          resource,
          jkt: dpop?.jkt,
        },
        ctx,
      );
      // Rotation always mints a refresh token, so the response always carries one.
      return grantTokenResponse(issued);
    } catch (err) {
      throw toOAuthError(err);
    }
  },
};
