import type { FastifyInstance } from 'fastify';
import { requestDeviceAuthorization } from '../../application/deviceAuthorization.js';
import { DEVICE_CODE_GRANT } from '../../domain/clients/events.js';
import { unauthorizedClient } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { grantedScope, resourceIndicators } from '../../oauth/scope.js';
import type { Runtime } from '../../runtime.js';
import { errorResponses } from './oauthSchemas.js';

const PARAMETERS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'scope', 'resource'];

const deviceAuthorizationResponse = {
  type: 'object',
  properties: {
    device_code: { type: 'string' },
    user_code: { type: 'string' },
    verification_uri: { type: 'string' },
    verification_uri_complete: { type: 'string' },
    expires_in: { type: 'integer' },
    interval: { type: 'integer' },
  },
  required: ['device_code', 'user_code', 'verification_uri', 'expires_in', 'interval'],
  additionalProperties: false,
} as const;

/** RFC 8628 §3.1–3.2: a device asks to be signed in, and is told what to show the person and how often to poll. */
export async function deviceAuthorizationRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const { issuer } = runtime.config;
  const endpoint = `${issuer}/device_authorization`;
  app.post(
    '/device_authorization',
    { schema: { response: { 200: deviceAuthorizationResponse, ...errorResponses } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      app.oauth.requireForm(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      // Undeclared parameters are dropped before anything reads them, as at /token.
      const { params, lists } = singleValued(
        Object.fromEntries(Object.entries(body).filter(([k]) => PARAMETERS.includes(k))),
        ['resource'],
      );
      // Authenticated first (public clients name themselves): nothing else is looked at for an unknown caller.
      const client = await app.oauth.authenticate(request, params, endpoint);
      if (!client.client.metadata.grant_types.includes(DEVICE_CODE_GRANT))
        throw unauthorizedClient(`the client is not allowed to use ${DEVICE_CODE_GRANT}`);
      const scope = grantedScope(params.scope, client.client.metadata.scope);
      const resource = resourceIndicators(lists.resource);
      const issued = await requestDeviceAuthorization(
        runtime.ports,
        { client: client.client, scope, resource },
        app.oauth.context(request, client),
      );
      const verification = `${issuer}/device`;
      return {
        device_code: issued.deviceCode,
        user_code: issued.userCode,
        verification_uri: verification,
        verification_uri_complete: `${verification}?user_code=${encodeURIComponent(issued.userCode)}`,
        expires_in: issued.expiresIn,
        interval: issued.interval,
      };
    },
  );
}
