import type { FastifyInstance, FastifyRequest } from 'fastify';
import { activeTokenByHash, activeTokensProjection } from '../../../projections/activeTokens.js';
import { clientsProjection } from '../../../projections/clients.js';
import { authorizationProjection } from '../../../projections/authorization.js';
import { invalidClient, invalidRequest } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { sha256 } from '../../tokens/hash.js';
import { signJwt } from '../../tokens/jwtStrategy.js';
import { NoSigningKeyError } from '../../commands/tokens.js';
import type { Runtime } from '../../runtime.js';
import { errorResponses, introspectionResponseSchema } from './oauthSchemas.js';

const JWT_RESPONSE = 'application/token-introspection+jwt';

/**
 * A strict introspection waits at most this long for the views; then it answers 503 rather than
 * risk a stale `active: true`. Views normally trail the ledger by one poll (embedded store, 100 ms)
 * or a few milliseconds (EventStoreDB); a second means this instance is stuck or far behind.
 */
const STRICT_WAIT_MS = 1000;

/**
 * `Consistency: strict` asks for an answer that reflects every event in the ledger when the request
 * arrived, including revocations made through another instance; `eventual` (or no header) answers
 * from this instance's views as they are. INTROSPECTION_CONSISTENCY=strict makes strict the floor:
 * a request cannot lower it.
 */
function wantsStrict(request: FastifyRequest, configured: 'strict' | 'eventual'): boolean {
  const raw = request.headers.consistency;
  if (raw === undefined) return configured === 'strict';
  const value = (Array.isArray(raw) ? raw.join(',') : raw).trim().toLowerCase();
  if (value === 'strict') return true;
  if (value === 'eventual') return configured === 'strict';
  throw invalidRequest('the Consistency header must be strict or eventual');
}

/**
 * RFC 7662. A token is active only if its hash is in the active-token view: the ledger recorded it
 * (so we issued it, whatever its signature claims), it was not revoked, and it has not expired.
 * No signature check is needed to say yes, and none could turn an unknown hash into a yes.
 */
export async function introspectRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const endpoint = `${runtime.config.issuer}/introspect`;
  const clients = () => runtime.runner.view(clientsProjection);
  app.post(
    '/introspect',
    { schema: { response: { 200: introspectionResponseSchema, ...errorResponses } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      app.oauth.requireForm(request);
      const { params } = singleValued(request.body, []);
      const client = await app.oauth.authenticate(request, params, endpoint);
      if (client.method === 'none') throw invalidClient('introspection needs a confidential client', false);
      if (!params.token) throw invalidRequest('token is missing');
      if (wantsStrict(request, runtime.config.introspectionConsistency)) {
        try {
          await runtime.runner.waitFor(await runtime.store.headPosition(), STRICT_WAIT_MS);
        } catch (err) {
          // A timeout, an unreachable ledger or a failed subscription: whichever, the views may be stale.
          request.log.warn({ err: (err as Error).message }, 'strict introspection: views behind the ledger');
          return reply
            .code(503)
            .header('retry-after', '1')
            .send({ error: 'temporarily_unavailable', error_description: 'this instance has not caught up with the ledger yet; retry shortly' });
        }
        reply.header('consistency', 'strict');
      }
      const now = Math.floor(Date.now() / 1000);
      const hash = sha256(params.token);
      const found = activeTokenByHash(runtime.runner.view(activeTokensProjection), hash, now);
      // A disabled client's tokens stop working with it.
      const token = found && !clients().byId.get(found.clientId)?.disabled ? found : undefined;
      const refresh = token ? undefined : runtime.runner.view(authorizationProjection).refresh.get(hash);
      const liveRefresh =
        refresh && refresh.status === 'active' && refresh.exp > now && refresh.familyExp > now && !clients().byId.get(refresh.clientId)?.disabled
          ? refresh
          : undefined;
      const answer = liveRefresh
        ? {
            active: true,
            scope: liveRefresh.scope,
            client_id: liveRefresh.clientId,
            sub: liveRefresh.sub,
            iss: runtime.config.issuer,
            exp: Math.min(liveRefresh.exp, liveRefresh.familyExp),
            iat: liveRefresh.iat,
            jti: liveRefresh.jti,
            token_type: 'refresh_token',
          }
        : token
        ? {
            active: true,
            scope: token.scope,
            client_id: token.clientId,
            sub: token.sub,
            aud: token.aud.length === 1 ? token.aud[0] : token.aud,
            iss: runtime.config.issuer,
            exp: token.exp,
            iat: token.iat,
            jti: token.jti,
            token_type: 'Bearer',
          }
        : { active: false };
      if ((request.headers.accept ?? '').includes(JWT_RESPONSE)) {
        // RFC 9701: the answer signed by this server, for resource servers that need it attributable.
        const key = await runtime.keys.signingKey('RS256');
        if (!key) throw new NoSigningKeyError('no RS256 signing key is active');
        const jwt = signJwt(
          { typ: 'token-introspection+jwt' },
          { iss: runtime.config.issuer, aud: client.client.clientId, iat: now, token_introspection: answer },
          key,
        );
        return reply.type(JWT_RESPONSE).serializer((v: unknown) => v as string).send(jwt);
      }
      return answer;
    },
  );
}
