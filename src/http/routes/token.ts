import type { FastifyInstance } from 'fastify';
import { grantHandlers } from '../../oauth/grants/index.js';
import { OAuthError, invalidRequest, unauthorizedClient, unsupportedGrantType } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { normalisedHtu, type VerifiedProof } from '../../crypto/dpopProof.js';
import type { Runtime } from '../../runtime.js';
import { fapi2Applies } from '../../domain/clients/securityProfile.js';
import { DPoPGate } from '../dpopGate.js';
import { errorResponses, tokenResponseSchema } from './oauthSchemas.js';

const AUTH_PARAMS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];

/** RFC 6749 §3.2: the token endpoint, a table of grant plug-ins. */
export async function tokenRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const grants = new Map(grantHandlers.map((g) => [g.grantType, g]));
  const endpoint = `${runtime.config.issuer}/token`;
  const dpop = new DPoPGate(runtime);
  const htu = normalisedHtu(endpoint)!;
  const refusedProof = (err: unknown): unknown => dpop.refused(err);
  app.post(
    '/token',
    { schema: { response: { 200: tokenResponseSchema, ...errorResponses } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      app.oauth.requireForm(request);
      // A malformed DPoP header is refused before anything else; its signature waits for the client's authentication.
      let parsed;
      try {
        parsed = dpop.parse(request);
      } catch (err) {
        throw refusedProof(err);
      }
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
      const ctx = app.oauth.context(request, client);
      const fapi2 = fapi2Applies(client.client.metadata, runtime.config.profile);
      let proof: VerifiedProof | undefined;
      if (parsed !== undefined) {
        try {
          proof = await dpop.accept(request, parsed, htu, ctx, fapi2);
        } catch (err) {
          throw refusedProof(err);
        }
      } else if (client.client.metadata.dpop_bound_access_tokens) {
        // As node-oidc-provider answers a client registered with dpop_bound_access_tokens (RFC 9449 §5.2).
        throw new OAuthError(400, 'invalid_grant', 'a DPoP proof is required: the client has dpop_bound_access_tokens');
      } else if (fapi2) {
        // FAPI 2.0 Security Profile §5.3.2.2: access tokens are sender-constrained; DPoP is how (no mutual TLS).
        throw new OAuthError(400, 'invalid_grant', 'a DPoP proof is required: the FAPI 2.0 Security Profile applies');
      }
      const response = await grant.handle({ runtime, client, params, lists, ctx, dpop: proof });
      if (proof !== undefined) {
        // Every grant plug-in must bind what it mints to the proof it was given: a bearer token here is a bug.
        if (response.token_type !== 'DPoP') throw new Error(`the ${grantType} grant ignored the DPoP proof`);
        dpop.sendNonce(reply);
      }
      return response;
    },
  );
}
