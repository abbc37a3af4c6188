import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { SIGNING_ALGS } from '../../commands/keyring.js';

/**
 * Authorization server metadata (RFC 8414) and OpenID Provider metadata (OIDC Discovery 1.0): one
 * document, served at both well-known paths. Fields appear here as their endpoints are built.
 */
export function serverMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
  };
}

const metadataSchema = {
  type: 'object',
  properties: {
    issuer: { type: 'string' },
    jwks_uri: { type: 'string' },
  },
  required: ['issuer', 'jwks_uri'],
  additionalProperties: true,
} as const;

export async function discoveryRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const document = serverMetadata(runtime.config.issuer);
  const handler = async (_req: unknown, reply: { header(k: string, v: string): unknown }) => {
    reply.header('cache-control', 'public, max-age=300');
    return document;
  };
  const opts = { schema: { response: { 200: metadataSchema } } };
  app.get('/.well-known/openid-configuration', opts, handler);
  app.get('/.well-known/oauth-authorization-server', opts, handler);
}
