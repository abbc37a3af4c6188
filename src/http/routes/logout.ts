import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endSession } from '../../application/endSession.js';
import { sha256 } from '../../crypto/hash.js';
import { verifyIdTokenHint } from '../../crypto/idToken.js';
import type { Runtime } from '../../runtime.js';
import { sessionByHash } from '../../application/queries/authorization.js';
import { clientById } from '../../application/queries/clients.js';
import { InteractionKeys } from '../interaction/sealing.js';
import { browserBinding, cookieOptions } from '../interaction/binding.js';
import { errorPage } from '../pages/layout.js';
import { logoutConfirmPage, signedOutPage, stillSignedInPage } from '../pages/logoutPages.js';
import { clientDisplay } from '../pages/clientHeader.js';
import { SESSION_COOKIE, BINDING_COOKIE } from './authorize.js';
import { MetadataDocumentRefused } from '../../registration/metadataDocumentRefused.js';

/** How long the sign-out confirmation may wait for its answer. */
const CONFIRM_SECONDS = 600;

interface LogoutRequest {
  redirect: string | null;
  state: string | null;
  /** The registered client the request named (client_id or the hint's audience): kept in LoggedOut. */
  clientId?: string;
}

/** OpenID Connect RP-Initiated Logout 1.0 at the end_session_endpoint. */
export async function logoutRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const { issuer } = runtime.config;
  const keys = new InteractionKeys(runtime.keyEncryptionSecret);
  const secure = issuer.startsWith('https:');

  const verifyHint = (hint: string) => verifyIdTokenHint(hint, runtime.keys.jwks(), issuer);

  async function finish(request: FastifyRequest, reply: FastifyReply, req: LogoutRequest) {
    const sid = request.cookies[SESSION_COOKIE];
    if (sid && sessionByHash(runtime.views, sha256(sid))) {
      const logout = { context: app.securityEvents.context(request), ...(req.clientId && { clientId: req.clientId }) };
      await endSession(runtime.ports, sid, 'RP-initiated logout', { actor: 'user', correlationId: request.id }, logout);
      app.securityEvents.recorded('LoggedOut');
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
    if (req.redirect) {
      const url = new URL(req.redirect);
      if (req.state !== null) url.searchParams.set('state', req.state);
      return reply.code(303).header('cache-control', 'no-store').header('location', url.toString()).send();
    }
    return signedOutPage(reply);
  }

  async function logout(request: FastifyRequest, reply: FastifyReply) {
    const raw = ((request.method === 'GET' ? request.query : request.body) ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof raw[k] === 'string' && raw[k] !== '' ? raw[k] : undefined);
    if (Object.values(raw).some(Array.isArray)) return errorPage(reply, 400, 'The logout request repeats a parameter.');
    const hint = str('id_token_hint');
    const claims = hint ? await verifyHint(hint) : undefined;
    if (hint && !claims) return errorPage(reply, 400, 'The id_token_hint is not an ID token issued by this server.');
    const hintClient =
      typeof claims?.aud === 'string' ? claims.aud : Array.isArray(claims?.aud) ? claims.aud[0] : undefined;
    const clientId = str('client_id') ?? hintClient;
    if (str('client_id') && hintClient && str('client_id') !== hintClient)
      return errorPage(reply, 400, 'client_id does not match the id_token_hint.');
    const redirect = str('post_logout_redirect_uri') ?? null;
    try {
      await app.oauth.metadataDocument(request, clientId);
    } catch (err) {
      if (!(err instanceof MetadataDocumentRefused)) throw err;
      return errorPage(reply, 400, `The application's client ID metadata document cannot be used: ${err.why}.`);
    }
    const client = clientId ? clientById(runtime.views, clientId) : undefined;
    if (redirect) {
      // Exact match against the client's registered list, like redirect_uri.
      if (!client || !(client.metadata.post_logout_redirect_uris ?? []).includes(redirect)) {
        return errorPage(reply, 400, 'The post_logout_redirect_uri is not registered for this application.');
      }
    }
    const req: LogoutRequest = { redirect, state: str('state') ?? null, ...(client && { clientId: client.clientId }) };
    const sid = request.cookies[SESSION_COOKIE];
    const session = sid ? sessionByHash(runtime.views, sha256(sid)) : undefined;
    // A valid hint for this very session proves the request came from the RP the user used: no question.
    // (The ID tokens of a session name it by `sid`; one of an earlier session of the same user does not count.)
    const hintOfSession =
      claims !== undefined &&
      session !== undefined &&
      claims.sub === session.sub &&
      (claims.sid === undefined || claims.sid === sha256(sid!));
    if (!session || hintOfSession) return finish(request, reply, req);
    // Otherwise ask, so that a third-party page cannot sign the user out (§2, logout CSRF): also when the
    // browser has no binding cookie yet (it lasts the browser session, the session cookie a day).
    const bind = browserBinding(request, reply, cookieOptions(issuer));
    const sealed = keys.sealForm('logout', req, bind, CONFIRM_SECONDS);
    return logoutConfirmPage(reply, {
      ...sealed,
      client: client ? clientDisplay(client.clientId, client) : undefined,
      redirect,
    });
  }

  app.get('/logout', logout);
  app.post('/logout', logout);
  app.post('/logout/confirm', async (request, reply) => {
    // Cancel changes nothing, so it needs no proof of where it came from.
    if ((request.body as Record<string, unknown> | undefined)?.decision === 'cancel') return stillSignedInPage(reply);
    const sealed = keys.openForm<LogoutRequest>('logout', request.body, request.cookies[BINDING_COOKIE]);
    if (!sealed) return errorPage(reply, 400, 'This sign-out form has expired or was not sent by this browser.');
    const { redirect, state, clientId } = sealed;
    return finish(request, reply, { redirect, state, ...(typeof clientId === 'string' && { clientId }) });
  });
}
