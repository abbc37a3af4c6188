import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { sealKeysProjection } from '../../../projections/sealKeys.js';

const sealJwksSchema = {
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
          crv: { type: 'string' },
          x: { type: 'string' },
          y: { type: 'string' },
        },
        required: ['kty', 'kid', 'alg', 'crv', 'x', 'y'],
        additionalProperties: false,
      },
    },
  },
  required: ['keys'],
  additionalProperties: false,
} as const;

/** Every seal key ever used, for auditors checking seals and proofs offline (docs/audit-seals.md). */
export async function sealKeysRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  app.get('/.well-known/ledger-seal-keys', { schema: { response: { 200: sealJwksSchema } } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    reply.header('content-type', 'application/jwk-set+json; charset=utf-8');
    return { keys: runtime.runner.view(sealKeysProjection) };
  });
}
