import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { introspect } from '../../application/queries/introspection.js';
import { invalidClient, invalidRequest } from '../../oauth/errors.js';
import { singleValued, type Params } from '../../oauth/params.js';
import type { AuthenticatedClient } from '../../oauth/clientAuth.js';
import { prefersSignedIntrospection } from '../../oauth/introspectionAccept.js';
import { sha256 } from '../../crypto/hash.js';
import { signJwt } from '../../crypto/jwtStrategy.js';
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
 * RFC 7662; what "active" means is the query's (src/application/queries/introspection.ts).
 *
 * The usual request (a known client, its known secret, eventual consistency, a JSON answer) is
 * answered synchronously: no promise, no microtask. Resource servers call this endpoint at their
 * own request rate, so what it costs per request is what they can sustain; only the strict wait,
 * a signed answer and a first slow secret hash are asynchronous.
 */
export async function introspectRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const endpoint = `${runtime.config.issuer}/introspect`;
  const { issuer } = runtime.config;
  /** The RFC 7662 answer from this instance's views as they are now, for `caller` (the rule: introspect()). */
  const lookUp = (token: string, now: number, caller: AuthenticatedClient['client']) =>
    introspect(runtime.views, sha256(token), now, caller, issuer);

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

const NO_LISTS: readonly string[] = [];
