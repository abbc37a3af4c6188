import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { userBySub } from '../../application/queries/users.js';
import { sha256 } from '../../crypto/hash.js';
import type { Runtime } from '../../runtime.js';
import { activeAccessToken } from '../../application/queries/tokens.js';
import { isFormEncoded } from '../formBody.js';

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

/** RFC 6750 §3: the challenge names the error for a bad token, and nothing when no token came. */
function challenge(reply: FastifyReply, status: number, error?: string, description?: string) {
  const params = error ? `, error="${error}", error_description="${description}"` : '';
  return reply
    .code(status)
    .header('www-authenticate', `Bearer realm="token-ledger"${params}`)
    .header('cache-control', 'no-store')
    .send(
      error
        ? { error, error_description: description }
        : { error: 'invalid_request', error_description: 'no access token' },
    );
}

/** OIDC Core §5.3: the user's claims for the scopes the access token carries. */
export async function userinfoRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  async function userinfo(request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization;
    const bearer = header && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
    const body =
      request.method === 'POST' && request.body && typeof request.body === 'object'
        ? (request.body as Record<string, unknown>)
        : {};
    const form = typeof body.access_token === 'string' ? body.access_token : undefined;
    if (bearer && form) return challenge(reply, 400, 'invalid_request', 'the access token was sent twice');
    if (Array.isArray(body.access_token)) return challenge(reply, 400, 'invalid_request', 'access_token is repeated');
    // RFC 6750 §2.2: a token in the body comes form-encoded, nothing else.
    if (form && !isFormEncoded(request.headers['content-type']))
      return challenge(reply, 400, 'invalid_request', 'a token in the body must be application/x-www-form-urlencoded');
    const token = bearer ?? form;
    if (!token) return challenge(reply, 401);
    const found = activeAccessToken(runtime.views, sha256(token), Math.floor(Date.now() / 1000));
    if (!found) return challenge(reply, 401, 'invalid_token', 'the access token is not active');
    // A client's own token (client credentials) has the client as subject, whatever its id looks like.
    if (!found.grantId) return challenge(reply, 401, 'invalid_token', 'the access token was not issued for a user');
    // RFC 8707 / RFC 9068 §4: a token restricted to other resources is not for this one.
    if (!found.aud.includes(runtime.config.issuer))
      return challenge(reply, 401, 'invalid_token', 'the access token is for another resource');
    const user = userBySub(runtime.views, found.sub);
    if (!user || user.disabled) return challenge(reply, 401, 'invalid_token', 'the access token is not active');
    const scopes = found.scope.split(' ');
    if (!scopes.includes('openid'))
      return challenge(reply, 403, 'insufficient_scope', 'the access token lacks the openid scope');
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
