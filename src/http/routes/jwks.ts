import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';

/** Only public members are listed: a private member (`d`, `p`, `q`…) could never be serialised. */
const jwksSchema = {
  type: 'object',
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kty: { type: 'string' },
          kid: { type: 'string' },
          alg: { type: 'string' },
          use: { type: 'string' },
          n: { type: 'string' },
          e: { type: 'string' },
          crv: { type: 'string' },
          x: { type: 'string' },
          y: { type: 'string' },
        },
        required: ['kty', 'kid', 'alg', 'use'],
        additionalProperties: false,
      },
    },
  },
  required: ['keys'],
  additionalProperties: false,
} as const;

export async function jwksRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  app.get('/jwks', { schema: { response: { 200: jwksSchema } } }, async (_req, reply) => {
    // Short: a rotation is published ahead of use, and verifiers refetch on an unknown kid.
    reply.header('cache-control', 'public, max-age=60');
    reply.header('content-type', 'application/jwk-set+json; charset=utf-8');
    return runtime.keys.jwks();
  });
}
