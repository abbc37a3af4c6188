import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endSession } from '../../application/endSession.js';
import { issueAuthorizationCode } from '../../application/issueAuthorizationCode.js';
import { recordConsent, recordConsentDenied } from '../../application/recordConsent.js';
import { startSession } from '../../application/startSession.js';
import { checkLogin, type LoginFailure } from '../../application/users.js';
import {
  authorizationTarget,
  parseAuthorizationRequest,
  type AuthorizationRequest,
  type ResponseTarget,
} from '../../oauth/authorizationRequest.js';
import { rememberOnce } from '../../application/rememberOnce.js';
import { usePushedRequest } from '../../application/usePushedRequest.js';
import { oneTimeJtiHash } from '../../domain/assertions/streams.js';
import { PushedRequestRefused } from '../../domain/pushedRequests/decide.js';
import { PAR_URN_PREFIX, pushedRequestRequired } from '../../oauth/pushedAuthorization.js';
import { verifyRequestObject, type VerifiedRequestObject } from '../../oauth/requestObject.js';
import { OAuthError } from '../../oauth/errors.js';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from '../../security/loginThrottle.js';
import { ledgerBlocks } from '../../application/throttle.js';
import { throttleStream } from '../../domain/throttle/streams.js';
import { sha256 } from '../../crypto/hash.js';
import { verifyIdTokenHint } from '../../crypto/idToken.js';
import type { Runtime } from '../../runtime.js';
import { consentCovers, liveSession } from '../../application/queries/authorization.js';
import { clientById, isKnownClient } from '../../application/queries/clients.js';
import { userBySub } from '../../application/queries/users.js';
import { scopeForUser } from '../../application/personScope.js';
import { isBuiltInConsole } from '../../application/consoleClient.js';
import { InteractionKeys, type SealPurpose } from '../interaction/sealing.js';
import { BINDING_COOKIE, browserBinding, cookieOptions as cookieOptionsFor } from '../interaction/binding.js';
import { errorPage } from '../pages/layout.js';
import { consentPage, loginPage } from '../pages/interactionPages.js';
import { clientDisplay } from '../pages/clientHeader.js';
import { sendAuthorizationResponse } from '../pages/authorizationResponse.js';
import { authorizationErrorParams } from '../../oauth/errors.js';
import { isFormEncoded } from '../formBody.js';
import { fapi2Applies } from '../../domain/clients/securityProfile.js';
import { deviceRoutes, type DeviceInteraction } from './device.js';
import { MetadataDocumentRefused } from '../../registration/metadataDocumentRefused.js';

export const SESSION_COOKIE = 'tl_session';
export { BINDING_COOKIE };
const INTERACTION_SECONDS = 600;

/**
 * What the browser carries through login and consent, sealed (with its browser binding): the request and how far it
 * got.
 */
interface Interaction {
  req: AuthorizationRequest;
  loggedIn?: boolean;
  consented?: boolean;
  /** A device sign-in (RFC 8628) the person started at /device: it ends in an approval, not a redirect. */
  device?: DeviceInteraction;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const targetOf = (req: AuthorizationRequest): ResponseTarget => ({
  redirectUri: req.redirectUri,
  responseMode: req.responseMode,
  state: req.state,
});

/** GET/POST /authorize (RFC 6749 §4.1), the login and consent pages, and the code that ends them. */
export async function authorizeRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const { issuer } = runtime.config;
  const keys = new InteractionKeys(runtime.keyEncryptionSecret);
  const limits = runtime.config.throttle;
  const throttle = new LoginThrottle(
    {
      pair: { ...DEFAULT_LOGIN_THROTTLE.pair, freeFailures: limits.loginFailures },
      ip: { ...DEFAULT_LOGIN_THROTTLE.ip, freeFailures: limits.ipFailures },
      account: { ...DEFAULT_LOGIN_THROTTLE.account, freeFailures: limits.accountFailures },
      trustedSeconds: limits.trustedSeconds,
    },
    { blocks: ledgerBlocks(runtime.ports, app.log), secret: runtime.keyEncryptionSecret },
  );
  const cookieOptions = cookieOptionsFor(issuer);
  const views = runtime.views;

  function currentSession(request: FastifyRequest) {
    const sid = request.cookies[SESSION_COOKIE];
    if (!sid) return undefined;
    const session = liveSession(views, sha256(sid), nowSeconds());
    return session ? { ...session, sid } : undefined;
  }

  /**
   * The hidden fields of the login or consent form (each opens only at its own endpoint), and what the page shows of
   * the client.
   */
  function formContext(reply: FastifyReply, request: FastifyRequest, interaction: Interaction, purpose: SealPurpose) {
    const sealed = keys.sealForm(
      purpose,
      interaction,
      browserBinding(request, reply, cookieOptions),
      INTERACTION_SECONDS,
    );
    const { req } = interaction;
    return {
      ...sealed,
      client: clientDisplay(req.clientId, clientById(views, req.clientId)),
      redirectTarget: req.responseMode === 'query' && !interaction.device ? req.redirectUri : null,
    };
  }

  /** Login, then consent, then the code: each step skipped when already satisfied. */
  async function proceed(request: FastifyRequest, reply: FastifyReply, interaction: Interaction) {
    let state = interaction;
    let { req } = state;
    const client = clientById(views, req.clientId);
    if (!client || client.disabled)
      return errorPage(reply, 400, 'The application that sent you here is no longer registered.');
    const target = targetOf(req);
    const session = currentSession(request);
    const now = nowSeconds();
    // max_age=0 asks for a login now (OIDC Core §3.1.2.1), even one second after the last.
    const stale = session && req.maxAge !== null && (req.maxAge === 0 || now - session.authTime > req.maxAge);
    const mustLogin = !session || (!state.loggedIn && (req.prompt.includes('login') || stale));
    if (mustLogin) {
      if (req.prompt.includes('none'))
        return sendAuthorizationResponse(reply, target, issuer, {
          error: 'login_required',
          error_description: 'the user is not signed in',
        });
      return loginPage(reply, { ...formContext(reply, request, state, 'login'), username: req.loginHint ?? undefined });
    }
    // A person's ledger:* scopes only for the roles they hold: the consent page and the code ask for no more.
    const narrowed = scopeForUser(runtime.ports, session.sub, req.scope);
    if (narrowed !== req.scope) state = { ...state, req: (req = { ...req, scope: narrowed }) };
    const requested = req.scope.split(' ').filter(Boolean);
    // RFC 8707: consent is for the resources named too; scopes allowed at one resource server are not at another.
    // The server's own console is first-party: the person signs in to this server's console, no third party.
    const covered =
      isBuiltInConsole(client, runtime.config) ||
      consentCovers(views, session.sub, client.clientId, requested, req.resource);
    if (!state.consented && (!covered || req.prompt.includes('consent'))) {
      if (req.prompt.includes('none'))
        return sendAuthorizationResponse(reply, target, issuer, {
          error: 'consent_required',
          error_description: 'the user has not consented',
        });
      return consentPage(reply, {
        ...formContext(reply, request, state, 'consent'),
        scopes: requested,
        resources: req.resource,
        account: userBySub(views, session.sub)?.username,
        deviceUserCode: state.device?.userCode,
      });
    }
    if (state.device) return devices.approve(request, reply, state.device, session);
    const code = await issueAuthorizationCode(
      runtime.ports,
      {
        client,
        request: req,
        // The sid claim names the session without being its secret: the hash the ledger knows it by.
        login: { sub: session.sub, authTime: session.authTime, sid: sha256(session.sid), amr: session.amr },
      },
      { actor: `user:${session.sub}`, correlationId: request.id },
    );
    return sendAuthorizationResponse(reply, target, issuer, { code });
  }

  const PUSHED_REFUSED: Record<string, string> = {
    used: 'This sign-in link was already used.',
    expired: 'This sign-in link has expired.',
  };

  /**
   * RFC 9126 §4: the pushed request, used once, by its client; every other parameter is ignored. A refusal is shown,
   * not redirected: nothing that arrived with it says where the client may be reached.
   */
  async function usePushed(request: FastifyRequest, reply: FastifyReply, clientId: string, requestUri: string) {
    let pushed;
    try {
      pushed = await usePushedRequest(runtime.ports, requestUri, clientId, {
        actor: `client:${clientId}`,
        correlationId: request.id,
      });
    } catch (err) {
      if (!(err instanceof PushedRequestRefused)) throw err;
      const why = PUSHED_REFUSED[err.code] ?? 'This sign-in link is not valid.';
      return errorPage(reply, 400, `${why} Go back to the application and start again.`);
    }
    const req: AuthorizationRequest = {
      ...pushed.request,
      pushedRequestId: pushed.requestId,
      ...(pushed.requestObject ? { requestObject: true } : {}),
    };
    return proceed(request, reply, { req });
  }

  /** Why the client's metadata document (when its id is a URL and documents are on) cannot be used, if it cannot. */
  async function documentRefusal(request: FastifyRequest, clientId: unknown): Promise<string | undefined> {
    try {
      await app.oauth.metadataDocument(request, clientId);
      return undefined;
    } catch (err) {
      if (!(err instanceof MetadataDocumentRefused)) throw err;
      return `The application's client ID metadata document cannot be used: ${err.why}.`;
    }
  }

  async function authorize(request: FastifyRequest, reply: FastifyReply) {
    // OIDC Core §3.1.2.1: a POSTed authorization request is form-serialised.
    if (request.method === 'POST' && !isFormEncoded(request.headers['content-type'])) {
      return errorPage(reply, 400, 'An authorization request sent by POST must be application/x-www-form-urlencoded.');
    }
    const raw = (request.method === 'GET' ? request.query : request.body) as Record<string, unknown> | undefined;
    // A document that cannot be used is shown, not redirected: only the document could vouch for the redirect URI.
    const refused = await documentRefusal(request, raw?.client_id);
    if (refused) return errorPage(reply, 400, refused);
    // A client registered a moment ago by another process may not be in this one's views yet.
    if (typeof raw?.client_id === 'string' && !isKnownClient(views, raw.client_id))
      await runtime.runner.catchUp().catch(() => undefined);
    const params = raw ?? {};
    const findClient = (id: string) => clientById(views, id);
    const client = typeof params.client_id === 'string' ? findClient(params.client_id) : undefined;
    /** A refusal before the request is known: redirected only where the outer request's own target is good. */
    const refuse = (error: string, description: string) => {
      const outer = authorizationTarget(params, findClient);
      if (outer.kind === 'page') return errorPage(reply, 400, description);
      return sendAuthorizationResponse(reply, outer.target, issuer, { error, error_description: description });
    };
    if (client && !client.disabled && params.request_uri !== undefined) {
      if (params.request !== undefined) return refuse('invalid_request', 'request and request_uri cannot both be used');
      const requestUri = params.request_uri;
      if (typeof requestUri !== 'string') return refuse('invalid_request', 'parameter request_uri is repeated');
      // RFC 9101 §5.2: a request_uri this server fetches is not supported; only the ones /par hands out.
      if (!requestUri.startsWith(PAR_URN_PREFIX))
        return refuse('request_uri_not_supported', 'only request_uri values from the pushed authorization endpoint');
      return usePushed(request, reply, client.clientId, requestUri);
    }
    // RFC 9126 §5: a client (or server) that requires PAR takes no request that was not pushed.
    if (client && !client.disabled && pushedRequestRequired(client, runtime.config))
      return refuse('invalid_request', 'Pushed Authorization Request must be used');
    let effective = params;
    let requestObject: VerifiedRequestObject | undefined;
    if (client && !client.disabled && params.request !== undefined) {
      if (typeof params.request !== 'string') return refuse('invalid_request', 'parameter request is repeated');
      try {
        requestObject = await verifyRequestObject(
          params.request,
          client,
          issuer,
          nowSeconds(),
          fapi2Applies(client.metadata, runtime.config.profile),
        );
      } catch (err) {
        if (err instanceof OAuthError) return refuse(err.error, err.description);
        throw err;
      }
      // RFC 9101 §6.3: only the request object's parameters count.
      effective = requestObject.params;
    }
    const parsed = parseAuthorizationRequest(effective, findClient);
    if (parsed.kind === 'page') return errorPage(reply, 400, parsed.message);
    if (parsed.kind === 'error') {
      return sendAuthorizationResponse(reply, parsed.target, issuer, authorizationErrorParams(parsed.error));
    }
    if (requestObject) {
      const { clientId } = parsed.request;
      const data = {
        clientId,
        jtiHash: oneTimeJtiHash('request_object', clientId, requestObject.jti),
        exp: requestObject.exp,
      };
      const ctx = { actor: `client:${clientId}`, correlationId: request.id };
      if (!(await rememberOnce(runtime.ports, { type: 'RequestObjectUsed', data }, ctx)))
        return sendAuthorizationResponse(reply, targetOf(parsed.request), issuer, {
          error: 'invalid_request_object',
          error_description: 'request object jti was used before',
        });
      parsed.request.requestObject = true;
    }
    const hint =
      parsed.request.prompt.includes('none') && typeof effective.id_token_hint === 'string'
        ? effective.id_token_hint
        : undefined;
    if (hint !== undefined) {
      // OIDC Core §3.1.2.1: without a login page, the hint must name the user who is signed in.
      const claims = await verifyIdTokenHint(hint, runtime.keys.jwks(), issuer);
      const target = targetOf(parsed.request);
      if (!claims)
        return sendAuthorizationResponse(reply, target, issuer, {
          error: 'invalid_request',
          error_description: 'id_token_hint is not an ID token issued by this server',
        });
      const session = currentSession(request);
      if (session && session.sub !== claims.sub) {
        return sendAuthorizationResponse(reply, target, issuer, {
          error: 'login_required',
          error_description: 'the signed-in user is not the one id_token_hint names',
        });
      }
    }
    return proceed(request, reply, { req: parsed.request });
  }

  app.get('/authorize', authorize);
  app.post('/authorize', authorize);

  // /device begins where /authorize would, with the device's request, and goes through the same login and consent.
  const devices = deviceRoutes(app, runtime, (request, reply, device) =>
    proceed(request, reply, { req: device.request, device: device.interaction }),
  );

  /**
   * The sealed interaction of a form post, if it is intact, this form's, unexpired, and from the browser that began it.
   */
  const openInteraction = (request: FastifyRequest, purpose: SealPurpose) =>
    keys.openForm<Interaction>(purpose, request.body, request.cookies[BINDING_COOKIE]);

  const INVALID =
    'This sign-in form has expired or was not sent by this browser. Go back to the application and start again.';

  app.post('/login', async (request, reply) => {
    const interaction = openInteraction(request, 'login');
    if (!interaction) return errorPage(reply, 400, INVALID);
    const body = request.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.slice(0, 256) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const state: Interaction = {
      req: interaction.req,
      loggedIn: interaction.loggedIn,
      consented: interaction.consented,
      device: interaction.device,
    };
    // Admitted before the slow hash, counted after it: parallel guesses get no more checks than sequential ones.
    let failure: LoginFailure | undefined;
    const verdict = await throttle.attempt(
      username,
      request.ip,
      async () => {
        const checked = await checkLogin(runtime.ports, username, password);
        if ('user' in checked) return checked.user;
        failure = checked;
        return undefined;
      },
      request.id,
    );
    const security = app.securityEvents;
    const clientId = state.req.clientId;
    if (!verdict.allowed) {
      // Refused while blocked: counted, not recorded one by one (the block's event stands for them).
      security.refused('LoginRefused');
      reply.header('retry-after', String(verdict.retryAfterSeconds));
      return loginPage(reply, {
        ...formContext(reply, request, state, 'login'),
        username,
        status: 429,
        error: { kind: 'throttled', seconds: verdict.retryAfterSeconds },
      });
    }
    const user = verdict.result;
    if (!user) {
      // An unknown name is kept only as the throttle's keyed hash of it: people type passwords into that field.
      const { account, pair } = throttle.keys(username, request.ip);
      const who = failure && 'sub' in failure ? { sub: failure.sub } : { account };
      const reason = failure?.reason ?? 'unknown_user';
      await security.failed(request, throttleStream({ scope: 'login', tier: 'pair', subject: pair }), {
        type: 'RecordLoginFailure',
        reason,
        ...who,
        clientId,
        context: security.context(request),
      });
      return loginPage(reply, {
        ...formContext(reply, request, state, 'login'),
        username,
        status: 401,
        error: { kind: 'wrong' },
      });
    }
    // LoginSucceeded goes in the session's own (new) stream, in the append that starts it: no write of its own.
    const ctx = { actor: `user:${user.sub}`, correlationId: request.id };
    const login = { clientId, context: security.context(request) };
    const { sid } = await startSession(runtime.ports, user.sub, ['pwd'], ctx, login);
    security.recorded('LoginSucceeded');
    reply.setCookie(SESSION_COOKIE, sid, { ...cookieOptions, maxAge: runtime.config.sessionSeconds });
    request.cookies[SESSION_COOKIE] = sid;
    return proceed(request, reply, { ...state, loggedIn: true });
  });

  // "Not you?" on the consent page: the signed-in session ends, and the same request asks for a login.
  // A sibling of /login, so that the login form's relative action still leads there.
  app.post('/login-switch', async (request, reply) => {
    // Posted from the consent page's form, so its sealed payload is the consent form's.
    const interaction = openInteraction(request, 'consent');
    if (!interaction) return errorPage(reply, 400, INVALID);
    const session = currentSession(request);
    if (session) {
      const logout = { context: app.securityEvents.context(request), clientId: interaction.req.clientId };
      const ctx = { actor: `user:${session.sub}`, correlationId: request.id };
      await endSession(runtime.ports, session.sid, 'switched account', ctx, logout);
      app.securityEvents.recorded('LoggedOut');
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookieOptions.secure });
    return loginPage(reply, formContext(reply, request, { req: interaction.req, device: interaction.device }, 'login'));
  });

  app.post('/consent', async (request, reply) => {
    const interaction = openInteraction(request, 'consent');
    if (!interaction) return errorPage(reply, 400, INVALID);
    const session = currentSession(request);
    const state: Interaction = { req: interaction.req, loggedIn: interaction.loggedIn, device: interaction.device };
    if (!session) return proceed(request, reply, state);
    const decision = (request.body as Record<string, unknown>).decision;
    if (decision !== 'approve' && interaction.device) return devices.deny(request, reply, interaction.device, session);
    const { clientId, scope, resource } = interaction.req;
    const ctx = { actor: `user:${session.sub}`, correlationId: request.id };
    const context = app.securityEvents.context(request);
    if (decision !== 'approve') {
      await recordConsentDenied(runtime.ports, session.sub, clientId, scope, ctx, context);
      app.securityEvents.recorded('ConsentDenied');
      return sendAuthorizationResponse(reply, targetOf(interaction.req), issuer, {
        error: 'access_denied',
        error_description: 'the user denied the request',
      });
    }
    await recordConsent(runtime.ports, session.sub, clientId, scope, resource, ctx, context);
    app.securityEvents.recorded('ConsentGiven');
    return proceed(request, reply, { ...state, consented: true });
  });
}
