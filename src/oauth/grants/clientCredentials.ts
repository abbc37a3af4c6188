import { issueAccessToken } from '../../application/issueAccessToken.js';
import { unauthorizedClient } from '../errors.js';
import { grantedScope, resourceIndicators } from '../scope.js';
import type { GrantHandler } from './grant.js';

/** RFC 6749 §4.4: a confidential client acting for itself; the token's subject is the client. */
export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  parameters: ['scope', 'resource'],
  multiValued: ['resource'],
  async handle({ runtime, client, params, lists, ctx, dpop }) {
    if (client.method === 'none') throw unauthorizedClient('a public client cannot use client_credentials');
    const scope = grantedScope(params.scope, client.client.metadata.scope);
    const resources = resourceIndicators(lists.resource);
    const issued = await issueAccessToken(
      runtime.ports,
      {
        client: client.client,
        sub: client.client.clientId,
        scope,
        aud: resources.length > 0 ? resources : [runtime.config.issuer],
        grantType: 'client_credentials',
        jkt: dpop?.jkt,
      },
      ctx,
    );
    return {
      access_token: issued.token,
      token_type: dpop ? 'DPoP' : 'Bearer',
      expires_in: issued.expiresIn,
      ...(scope ? { scope } : {}),
    };
  },
};
