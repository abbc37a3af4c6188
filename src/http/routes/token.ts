import type { FastifyInstance } from 'fastify';
import { grantHandlers } from '../../oauth/grants/index.js';
import { invalidRequest, unauthorizedClient, unsupportedGrantType } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import type { Runtime } from '../../runtime.js';
import { errorResponses, tokenResponseSchema } from './oauthSchemas.js';

const AUTH_PARAMS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];

/** RFC 6749 §3.2: the token endpoint, a table of grant plug-ins. */
export async function tokenRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const grants = new Map(grantHandlers.map((g) => [g.grantType, g]));
  const endpoint = `${runtime.config.issuer}/token`;
  app.post(
    '/token',
    { schema: { response: { 200: tokenResponseSchema, ...errorResponses } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      app.oauth.requireForm(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { params: head } = singleValued({ grant_type: body.grant_type });
      const grantType = head.grant_type;
      if (!grantType) throw invalidRequest('grant_type is missing');
      const grant = grants.get(grantType);
      // Undeclared parameters are dropped before anything reads them.
      const declared = ['grant_type', ...AUTH_PARAMS, ...(grant?.parameters ?? [])];
      const { params, lists } = singleValued(
        Object.fromEntries(Object.entries(body).filter(([k]) => declared.includes(k))),
        grant?.multiValued,
      );
      const client = await app.oauth.authenticate(request, params, endpoint);
      if (!grant) throw unsupportedGrantType(`grant_type ${grantType} is not supported`);
      if (!client.client.metadata.grant_types.includes(grantType as never)) {
        throw unauthorizedClient(`the client is not allowed to use ${grantType}`);
      }
      return grant.handle({ runtime, client, params, lists, ctx: app.oauth.context(request, client) });
    },
  );
}
