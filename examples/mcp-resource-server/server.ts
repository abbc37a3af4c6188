import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from './config.js';
import { answer, requiredScopes, SCOPES } from './mcp.js';
import { InvalidToken, type Caller, type Verifier } from './tokens.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource's path. */
function metadataUrl(resource: URL): URL {
  const path = resource.pathname === '/' ? '' : resource.pathname;
  return new URL(`${WELL_KNOWN}${path}`, resource);
}

/** RFC 6750 §3 challenge parameters, in a fixed order; absent ones are left out. */
function challenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [`${k}="${v}"`]));
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The MCP endpoint (`POST` at the resource URL's path) behind bearer tokens, and the protected resource
 * metadata (RFC 9728) that tells a client which authorization server to get them from.
 */
export function buildServer(config: Config, verify: Verifier): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const resource = config.resource.href;
  const resourceMetadata = metadataUrl(config.resource).href;
  const metadata = {
    resource,
    authorization_servers: [config.issuer],
    scopes_supported: SCOPES,
    bearer_methods_supported: ['header'],
    resource_name: 'token-ledger example MCP server',
  };

  // The path-suffixed URL is the one RFC 9728 derives from the resource; MCP clients that cannot tell the
  // resource's path try the root one, so it answers the same document.
  const urls = [...new Set([new URL(resourceMetadata).pathname, WELL_KNOWN])];
  for (const url of urls)
    app.get(url, async (_req, reply) => reply.header('cache-control', 'max-age=300').send(metadata));

  const refuse = (
    reply: FastifyReply,
    status: 400 | 401 | 403,
    params: Record<string, string | undefined>,
    description = params.error_description,
  ) =>
    reply
      .code(status)
      .header('www-authenticate', challenge({ ...params, resource_metadata: resourceMetadata }))
      .send({ error: params.error, error_description: description });

  const mcpPath = config.resource.pathname;
  app.post(mcpPath, async (request, reply) => {
    const needed = requiredScopes(request.body);
    const authorization = request.headers.authorization;
    // No credentials: the challenge alone, without an error code (RFC 6750 §3.1), naming the scope to ask for.
    if (authorization === undefined)
      return refuse(
        reply,
        401,
        { scope: needed.join(' ') },
        'an access token is needed: WWW-Authenticate names where to get one',
      );
    const token = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization)?.[1];
    if (!token) {
      return refuse(reply, 400, { error: 'invalid_request', error_description: 'expected Authorization: Bearer' });
    }

    let caller: Caller;
    try {
      caller = await verify(token);
    } catch (err) {
      if (!(err instanceof InvalidToken)) {
        console.error(`could not check a token: ${(err as Error).message}`);
        return reply.code(503).header('retry-after', '5').send({
          error: 'temporarily_unavailable',
          error_description: 'the authorization server could not be reached to check the token',
        });
      }
      return refuse(reply, 401, { error: 'invalid_token', error_description: err.message, scope: needed.join(' ') });
    }
    const missing = needed.filter((s) => !caller.scopes.has(s));
    if (missing.length > 0) {
      // The scope parameter names all that this request needs, so that one new authorization is enough.
      return refuse(reply, 403, {
        error: 'insufficient_scope',
        scope: needed.join(' '),
        error_description: `this request needs the scope ${missing.join(' ')}`,
      });
    }

    const response = answer(request.body, caller);
    return response === undefined ? reply.code(202).send() : reply.send(response);
  });
  // Streamable HTTP's GET (server-initiated messages) and DELETE (end a session): this server has neither.
  app.route({
    method: ['GET', 'DELETE'],
    url: mcpPath,
    handler: async (_req, reply) => reply.code(405).header('allow', 'POST').send(),
  });
  return app;
}
