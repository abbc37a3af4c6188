import type { FastifyInstance } from 'fastify';
import { pushAuthorizationRequest } from '../../application/pushAuthorizationRequest.js';
import { rememberOnce } from '../../application/rememberOnce.js';
import { oneTimeJtiHash } from '../../domain/assertions/streams.js';
import { parseAuthorizationRequest } from '../../oauth/authorizationRequest.js';
import { invalidRequest, OAuthError } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { verifyRequestObject } from '../../oauth/requestObject.js';
import type { Runtime } from '../../runtime.js';
import { DPoPGate } from '../dpopGate.js';
import { normalisedHtu } from '../../crypto/dpopProof.js';
import { fapi2Applies } from '../../domain/clients/securityProfile.js';
import { errorResponses } from './oauthSchemas.js';

const AUTH_PARAMS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];

const parResponseSchema = {
  type: 'object',
  properties: { request_uri: { type: 'string' }, expires_in: { type: 'integer' } },
  required: ['request_uri', 'expires_in'],
  additionalProperties: false,
} as const;

/**
 * RFC 9126: the pushed authorization request endpoint. The client authenticates as at /token, then its request is
 * validated as /authorize validates one (RFC 9126 §2.1) and answered in JSON, never by a redirect (§2.3).
 */
export async function parRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const { issuer } = runtime.config;
  const endpoint = `${issuer}/par`;
  const dpop = new DPoPGate(runtime);
  const htu = normalisedHtu(endpoint)!;
  app.post('/par', { schema: { response: { 201: parResponseSchema, ...errorResponses } } }, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    app.oauth.requireForm(request);
    // RFC 9449 §10.1: a DPoP proof here binds the code to its key; a malformed one is refused before anything else.
    let parsedProof;
    try {
      parsedProof = dpop.parse(request);
    } catch (err) {
      throw dpop.refused(err);
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const { params: auth } = singleValued(Object.fromEntries(AUTH_PARAMS.map((k) => [k, body[k]])));
    // Who is asking is settled before what is asked is looked at.
    const authenticated = await app.oauth.authenticate(request, auth, endpoint);
    const { client } = authenticated;
    if (auth.client_id !== undefined && auth.client_id !== client.clientId)
      throw invalidRequest('client_id does not match the authenticated client');
    // RFC 9126 §2.1: a pushed request cannot point at another one.
    if (body.request_uri !== undefined)
      throw invalidRequest('request_uri cannot be used at the pushed authorization request endpoint');
    const ctx = app.oauth.context(request, authenticated);
    const fapi2 = fapi2Applies(client.metadata, runtime.config.profile);
    let raw: Record<string, unknown> = { ...body, client_id: client.clientId };
    for (const key of AUTH_PARAMS) if (key !== 'client_id') delete raw[key];
    let requestObject: { jti: string; exp: number } | undefined;
    if (body.request !== undefined) {
      const { params: jar } = singleValued({ request: body.request });
      if (!jar.request) throw invalidRequest('request is empty');
      // RFC 9101 §6.3: only the request object's parameters count, whatever else the body holds.
      const now = Math.floor(runtime.ports.clock() / 1000);
      const verified = await verifyRequestObject(jar.request, client, issuer, now, fapi2);
      raw = verified.params;
      requestObject = verified;
    }
    // The prompt=none check against a signed-in user is made at /authorize with the hint at hand: not pushed.
    if (raw.id_token_hint !== undefined) throw invalidRequest('id_token_hint cannot be pushed');
    const parsed = parseAuthorizationRequest(raw, (id) => (id === client.clientId ? client : undefined));
    if (parsed.kind === 'page') throw new OAuthError(400, parsed.error, parsed.message);
    if (parsed.kind === 'error') throw parsed.error;
    // FAPI 2.0 Security Profile §5.3.2.2: the redirect URI is named in the pushed request, never implied.
    if (fapi2 && !parsed.request.redirectUriSent)
      throw invalidRequest('redirect_uri is required in a pushed request (FAPI 2.0 Security Profile)');
    if (parsedProof !== undefined) {
      let proof;
      try {
        proof = await dpop.accept(request, parsedProof, htu, ctx, fapi2);
      } catch (err) {
        throw dpop.refused(err);
      }
      // RFC 9449 §10.1: dpop_jkt and the proof, when both are sent, name the same key.
      if (parsed.request.dpopJkt !== null && parsed.request.dpopJkt !== proof.jkt)
        throw new OAuthError(400, 'invalid_dpop_proof', 'dpop_jkt does not match the key of the DPoP proof');
      parsed.request.dpopJkt = proof.jkt;
      dpop.sendNonce(reply);
    }
    if (requestObject) {
      const data = {
        clientId: client.clientId,
        jtiHash: oneTimeJtiHash('request_object', client.clientId, requestObject.jti),
        exp: requestObject.exp,
      };
      if (!(await rememberOnce(runtime.ports, { type: 'RequestObjectUsed', data }, ctx)))
        throw new OAuthError(400, 'invalid_request_object', 'request object jti was used before');
    }
    const pushed = await pushAuthorizationRequest(
      runtime.ports,
      { request: parsed.request, requestObject: requestObject !== undefined },
      ctx,
    );
    return reply.code(201).send({ request_uri: pushed.requestUri, expires_in: pushed.expiresIn });
  });
}
