import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { userBySub } from '../../application/queries/users.js';
import { sha256 } from '../../crypto/hash.js';
import type { Runtime } from '../../runtime.js';
import { activeAccessToken } from '../../application/queries/tokens.js';
import { isFormEncoded } from '../formBody.js';
import { epochSeconds } from '../../application/ports.js';
import { DPOP_ALGS, DPoPProofError, normalisedHtu } from '../../crypto/dpopProof.js';
import { errorDescription } from '../../oauth/errors.js';
import { DPoPGate } from '../dpopGate.js';

const claimsSchema = {
  type: 'object',
  properties: {
    sub: { type: 'string' },
    name: { type: 'string' },
    preferred_username: { type: 'string' },
    updated_at: { type: 'integer' },
    email: { type: 'string' },
    email_verified: { type: 'boolean' },
  },
  required: ['sub'],
  additionalProperties: false,
} as const;

const DPOP_ALGS_PARAM = `algs="${DPOP_ALGS.join(' ')}"`;
/** RFC 9449 §7.1: a request without a token is told of both schemes. */
const NO_TOKEN_CHALLENGE = ['Bearer realm="token-ledger"', `DPoP ${DPOP_ALGS_PARAM}`];

type Scheme = 'Bearer' | 'DPoP';

/**
 * RFC 6750 §3 and RFC 9449 §7.1: the challenge names the error for a bad token in the scheme the request used (a
 * DPoP challenge also lists the proof algorithms), and both schemes when no token came.
 */
function challenge(
  reply: FastifyReply,
  status: number,
  error?: string,
  description?: string,
  scheme: Scheme = 'Bearer',
  headers: Record<string, string> = {},
) {
  const safe = description === undefined ? undefined : errorDescription(description);
  const value = !error
    ? NO_TOKEN_CHALLENGE
    : scheme === 'DPoP'
      ? `DPoP error="${error}", error_description="${safe}", ${DPOP_ALGS_PARAM}`
      : `Bearer realm="token-ledger", error="${error}", error_description="${safe}"`;
  return reply
    .code(status)
    .headers(headers)
    .header('www-authenticate', value)
    .header('cache-control', 'no-store')
    .send(
      error ? { error, error_description: safe } : { error: 'invalid_request', error_description: 'no access token' },
    );
}

/** OIDC Core §5.3: the user's claims for the scopes the access token carries. */
export async function userinfoRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const dpop = new DPoPGate(runtime);
  const htu = normalisedHtu(`${runtime.config.issuer}/userinfo`)!;
  /** RFC 9449 §7.1: a refused proof is a 401 with a DPoP challenge (and the nonce to use, for use_dpop_nonce). */
  const refusedProof = (reply: FastifyReply, err: unknown) => {
    if (!(err instanceof DPoPProofError)) throw err;
    const nonce = dpop.nonce();
    return challenge(reply, 401, err.code, err.message, 'DPoP', nonce === undefined ? {} : { 'dpop-nonce': nonce });
  };

  async function userinfo(request: FastifyRequest, reply: FastifyReply) {
    // RFC 6750 §2.1 or RFC 9449 §7.1; the bearer path reads the header as it always has.
    const header = request.headers.authorization;
    let scheme: Scheme = 'Bearer';
    let fromHeader: string | undefined;
    if (header) {
      if (/^bearer /i.test(header)) fromHeader = header.slice(7).trim();
      else if (/^dpop /i.test(header)) {
        scheme = 'DPoP';
        fromHeader = header.slice(5).trim();
      }
    }
    const body =
      request.method === 'POST' && request.body && typeof request.body === 'object'
        ? (request.body as Record<string, unknown>)
        : {};
    const form = typeof body.access_token === 'string' ? body.access_token : undefined;
    if (fromHeader && form) return challenge(reply, 400, 'invalid_request', 'the access token was sent twice');
    if (Array.isArray(body.access_token)) return challenge(reply, 400, 'invalid_request', 'access_token is repeated');
    // RFC 6750 §2.2: a token in the body comes form-encoded, nothing else.
    if (form && !isFormEncoded(request.headers['content-type']))
      return challenge(reply, 400, 'invalid_request', 'a token in the body must be application/x-www-form-urlencoded');
    const token = fromHeader ?? form;
    if (!token) return challenge(reply, 401);
    // A DPoP request's proof is checked for its form at once; its signature only once the token is known to be live.
    let parsed;
    if (scheme === 'DPoP') {
      try {
        parsed = dpop.parse(request);
      } catch (err) {
        return refusedProof(reply, err);
      }
      if (!parsed) return challenge(reply, 401, 'invalid_dpop_proof', 'a DPoP proof is required', 'DPoP');
    }
    const now = epochSeconds(runtime.ports.clock);
    const found = activeAccessToken(runtime.views, sha256(token), now);
    if (!found) return challenge(reply, 401, 'invalid_token', 'the access token is not active', scheme);
    // RFC 9449 §7.2: a bound token is no bearer token; a bearer token has no key to prove.
    if (found.jkt !== undefined && scheme !== 'DPoP')
      return challenge(reply, 401, 'invalid_token', 'the access token is DPoP-bound: present it with a proof', 'DPoP');
    if (found.jkt === undefined && scheme === 'DPoP')
      return challenge(reply, 401, 'invalid_token', 'the access token is not DPoP-bound', 'Bearer');
    // A client's own token (client credentials) has the client as subject, whatever its id looks like.
    if (!found.grantId)
      return challenge(reply, 401, 'invalid_token', 'the access token was not issued for a user', scheme);
    // RFC 8707 / RFC 9068 §4: a token restricted to other resources is not for this one.
    if (!found.aud.includes(runtime.config.issuer))
      return challenge(reply, 401, 'invalid_token', 'the access token is for another resource', scheme);
    const user = userBySub(runtime.views, found.sub);
    if (!user || user.disabled) return challenge(reply, 401, 'invalid_token', 'the access token is not active', scheme);
    let proof;
    if (parsed) {
      try {
        proof = await dpop.check(request, parsed, htu, token);
      } catch (err) {
        return refusedProof(reply, err);
      }
      if (proof.jkt !== found.jkt)
        return challenge(
          reply,
          401,
          'invalid_token',
          'the DPoP proof key is not the one the token is bound to',
          'DPoP',
        );
    }
    const scopes = found.scope.split(' ');
    if (!scopes.includes('openid'))
      return challenge(reply, 403, 'insufficient_scope', 'the access token lacks the openid scope', scheme);
    if (proof) {
      try {
        await dpop.record(proof, { actor: `client:${found.clientId}`, correlationId: request.id });
      } catch (err) {
        return refusedProof(reply, err);
      }
      dpop.sendNonce(reply);
    }
    reply.header('cache-control', 'no-store');
    return {
      sub: user.sub,
      ...(scopes.includes('profile')
        ? {
            ...(user.name ? { name: user.name } : {}),
            preferred_username: user.username,
            updated_at: Math.floor(user.updatedAt / 1000),
          }
        : {}),
      ...(scopes.includes('email') && user.email ? { email: user.email, email_verified: user.emailVerified } : {}),
    };
  }
  const schema = { response: { 200: claimsSchema } };
  app.get('/userinfo', { schema }, userinfo);
  app.post('/userinfo', { schema }, userinfo);
}
