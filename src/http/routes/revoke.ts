import type { FastifyInstance } from 'fastify';
import { accessTokenByHash } from '../../application/queries/tokens.js';
import { revokeToken } from '../../application/revokeToken.js';
import { revokeGrantToken } from '../../application/revokeGrant.js';
import { refreshTokenByHash } from '../../application/queries/authorization.js';
import { invalidRequest } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { sha256 } from '../../crypto/hash.js';
import type { Runtime } from '../../runtime.js';
import { errorResponses } from './oauthSchemas.js';

/**
 * RFC 7009. The owning client may revoke its token; an unknown token is answered 200 and left alone
 * (§2.2). Another client's token is refused (§2.1: the server "verifies whether the token was issued
 * to the client making the revocation request. If this validation fails, the request is refused"),
 * with invalid_request as oidc-provider answers it, and nothing is written. The 200 is sent only
 * once TokenRevoked is durable and the active-token view has applied it.
 */
export async function revokeRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const endpoint = `${runtime.config.issuer}/revoke`;
  // The 200 has no body (§2.2); only the error bodies need a schema.
  const response: Record<number, object> = { ...errorResponses };
  app.post('/revoke', { schema: { response } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    app.oauth.requireForm(request);
    const { params } = singleValued(request.body, []);
    const client = await app.oauth.authenticate(request, params, endpoint);
    if (!params.token) throw invalidRequest('token is missing');
    // §2.1: an unknown token_type_hint is ignored; every token kind is looked up by its hash.
    const hash = sha256(params.token);
    const clientId = client.client.clientId;
    const ctx = app.oauth.context(request, client);
    const reason = 'revoked by the client (RFC 7009)';
    const access = accessTokenByHash(runtime.views, hash);
    const refresh = access ? undefined : refreshTokenByHash(runtime.views, hash);
    const owner = access?.clientId ?? refresh?.clientId;
    if (owner !== undefined && owner !== clientId)
      throw invalidRequest('the client is not authorized to revoke the presented token');
    if (access) {
      if (access.grantId) await revokeGrantToken(runtime.ports, access.grantId, access.jti, clientId, reason, ctx);
      else await revokeToken(runtime.ports, access.jti, { clientId }, reason, ctx);
    } else if (refresh) {
      await revokeGrantToken(runtime.ports, refresh.grantId, refresh.jti, clientId, reason, ctx);
    }
    return reply.code(200).send();
  });
}
