import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { activeTokensProjection, introspectedTokenByHash } from '../../../projections/activeTokens.js';
import { clientsProjection } from '../../../projections/clients.js';
import { authorizationProjection } from '../../../projections/authorization.js';
import { usersProjection } from '../../../projections/users.js';
import { invalidClient, invalidRequest } from '../../oauth/errors.js';
import { singleValued, type Params } from '../../oauth/params.js';
import type { AuthenticatedClient } from '../../oauth/clientAuth.js';
import { prefersSignedIntrospection } from '../../oauth/introspectionAccept.js';
import { sha256 } from '../../tokens/hash.js';
import { mayIntrospect } from '../../domain/clients/metadataRules.js';
import { signJwt } from '../../tokens/jwtStrategy.js';
import { NoSigningKeyError } from '../../application/tokens.js';
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
 *
 * The usual request (a known client, its known secret, eventual consistency, a JSON answer) is
 * answered synchronously: no promise, no microtask. Resource servers call this endpoint at their
 * own request rate, so what it costs per request is what they can sustain; only the strict wait,
 * a signed answer and a first slow secret hash are asynchronous.
 */
export async function introspectRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const endpoint = `${runtime.config.issuer}/introspect`;
  const { issuer } = runtime.config;
  const clients = () => runtime.runner.view(clientsProjection);
  // A disabled client's or user's tokens stop working with them (the views drop them as well; this
  // also covers a token minted while the disabling was being written).
  const holderDisabled = (clientId: string, sub: string) =>
    clients().byId.get(clientId)?.disabled === true ||
    runtime.runner.view(usersProjection).bySub.get(sub)?.disabled === true;

  /**
   * The RFC 7662 answer from this instance's views as they are now, for `caller`. A client whose
   * introspection_access is own_and_audience learns of its own tokens and those addressed to it
   * (aud names one of its introspection_audiences) only: any other token is `active: false` (§2.2
   * lets the server answer so when the caller may not know more).
   */
  function lookUp(token: string, now: number, caller: AuthenticatedClient['client']): Record<string, unknown> {
    const hash = sha256(token);
    const found = introspectedTokenByHash(runtime.runner.view(activeTokensProjection), hash, now);
    // A disabled client's or user's tokens stop working with them.
    if (
      found &&
      !holderDisabled(found.clientId, found.sub) &&
      mayIntrospect(caller.metadata, caller.clientId, found.clientId, found.aud)
    ) {
      return {
        active: true,
        scope: found.scope,
        client_id: found.clientId,
        sub: found.sub,
        aud: found.aud.length === 1 ? found.aud[0] : found.aud,
        iss: issuer,
        exp: found.exp,
        iat: found.iat,
        jti: found.jti,
        token_type: 'Bearer',
      };
    }
    const refresh = runtime.runner.view(authorizationProjection).refresh.get(hash);
    const live =
      refresh &&
      refresh.status === 'active' &&
      refresh.exp > now &&
      refresh.familyExp > now &&
      !holderDisabled(refresh.clientId, refresh.sub);
    // A refresh token is for its client alone: it has no audience.
    if (live && mayIntrospect(caller.metadata, caller.clientId, refresh.clientId, NO_AUDIENCE)) {
      return {
        active: true,
        scope: refresh.scope,
        client_id: refresh.clientId,
        sub: refresh.sub,
        iss: issuer,
        exp: Math.min(refresh.exp, refresh.familyExp),
        iat: refresh.iat,
        jti: refresh.jti,
        token_type: 'refresh_token',
      };
    }
    return INACTIVE;
  }

  /** After client authentication: the answer, or a promise of it when it has to wait (strict, signed). */
  function answer(request: FastifyRequest, reply: FastifyReply, params: Params, client: AuthenticatedClient): unknown {
    if (client.method === 'none')
      throw invalidClient('introspection needs a confidential client', request.headers.authorization !== undefined);
    const token = params.token;
    if (!token) throw invalidRequest('token is missing');
    const signed = prefersSignedIntrospection(request.headers.accept);
    if (!wantsStrict(request, runtime.config.introspectionConsistency) && !signed) {
      return lookUp(token, Math.floor(Date.now() / 1000), client.client);
    }
    return answerAfterWaiting(request, reply, token, client, signed);
  }

  async function answerAfterWaiting(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    client: AuthenticatedClient,
    signed: boolean,
  ): Promise<unknown> {
    if (wantsStrict(request, runtime.config.introspectionConsistency)) {
      try {
        await runtime.runner.waitFor(await runtime.store.headPosition(), STRICT_WAIT_MS);
      } catch (err) {
        // A timeout, an unreachable ledger or a failed subscription: whichever, the views may be stale.
        request.log.warn({ err: (err as Error).message }, 'strict introspection: views behind the ledger');
        return reply.code(503).header('retry-after', '1').send({
          error: 'temporarily_unavailable',
          error_description: 'this instance has not caught up with the ledger yet; retry shortly',
        });
      }
      reply.header('consistency', 'strict');
    }
    const now = Math.floor(Date.now() / 1000);
    const result = lookUp(token, now, client.client);
    if (!signed) return result;
    // RFC 9701: the answer signed by this server, for resource servers that need it attributable.
    const key = await runtime.keys.signingKey('RS256');
    if (!key) throw new NoSigningKeyError('no RS256 signing key is active');
    const jwt = signJwt(
      { typ: 'token-introspection+jwt' },
      { iss: issuer, aud: client.client.clientId, iat: now, token_introspection: result },
      key,
    );
    return reply
      .type(JWT_RESPONSE)
      .serializer((v: unknown) => v as string)
      .send(jwt);
  }

  app.post(
    '/introspect',
    { schema: { response: { 200: introspectionResponseSchema, ...errorResponses } } },
    (request, reply) => {
      reply.header('cache-control', 'no-store');
      app.oauth.requireForm(request);
      const { params } = singleValued(request.body, NO_LISTS);
      const client = app.oauth.authenticate(request, params, endpoint);
      return client instanceof Promise
        ? client.then((c) => answer(request, reply, params, c))
        : answer(request, reply, params, client);
    },
  );
}

const INACTIVE = Object.freeze({ active: false });
const NO_LISTS: readonly string[] = [];
const NO_AUDIENCE: readonly string[] = [];
