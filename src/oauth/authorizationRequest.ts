import type { ClientState } from '../domain/clients/state.js';
import { OAuthError } from './errors.js';
import { grantedScope, resourceIndicators } from './scope.js';
import { redirectUriMatches } from './redirectUri.js';
import { registeredResponseModes } from '../domain/clients/metadataRules.js';

export type ResponseMode = 'query' | 'form_post' | 'web_message';
export const RESPONSE_MODES: ResponseMode[] = ['query', 'form_post', 'web_message'];

/** A validated authorization request: what the browser carries (sealed) through login and consent. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** The request named redirect_uri (the token request must then repeat it). */
  redirectUriSent: boolean;
  responseMode: ResponseMode;
  state: string | null;
  scope: string;
  resource: string[];
  codeChallenge: string;
  nonce: string | null;
  prompt: string[];
  maxAge: number | null;
  loginHint: string | null;
  /** RFC 9449 §10: the JWK SHA-256 thumbprint of the DPoP key the code is bound to, when the request named one. */
  dpopJkt: string | null;
  /** RFC 9126: the SHA-256 of the request_uri of the pushed request this came from. */
  pushedRequestId?: string;
  /** RFC 9101: its parameters came in a signed request object. */
  requestObject?: boolean;
}

/** Where an error may be sent: only once client_id and redirect_uri are known to be good. */
export interface ResponseTarget {
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | null;
}

/**
 * A fault shown to the user, never redirected. `error` is the code an endpoint that answers in JSON (/par) gives it.
 */
interface PageFault {
  kind: 'page';
  error: 'invalid_request' | 'invalid_client' | 'invalid_redirect_uri';
  message: string;
}

type TargetParse = PageFault | { kind: 'target'; client: ClientState; target: ResponseTarget; redirectSent: boolean };

type AuthorizeParse =
  | PageFault
  | { kind: 'error'; target: ResponseTarget; error: OAuthError }
  | { kind: 'ok'; request: AuthorizationRequest };

/** RFC 7636 §4.2: S256 sends BASE64URL(SHA256(verifier)), unpadded: exactly 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PROMPTS = ['none', 'login', 'consent', 'select_account'];
/** RFC 7638 SHA-256 thumbprint, base64url without padding. */
const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

function one(raw: Record<string, unknown>, key: string): { value?: string; repeated: boolean } {
  // Fastify's query and form parsers give a string per key, or an array when the key is repeated.
  const v = raw[key] as string | string[] | undefined;
  if (Array.isArray(v)) return { value: undefined, repeated: v.length > 1 };
  return { value: v === undefined || v === '' ? undefined : String(v), repeated: false };
}

const page = (error: PageFault['error'], message: string): PageFault => ({ kind: 'page', error, message });

/**
 * RFC 6749 §4.1.1 and §4.1.2.1 in order: client_id and redirect_uri are checked first, and a fault in either is shown
 * to the user, never redirected. What comes out is where every later fault may be sent.
 */
export function authorizationTarget(
  raw: Record<string, unknown>,
  findClient: (id: string) => ClientState | undefined,
): TargetParse {
  const clientId = one(raw, 'client_id');
  if (clientId.repeated || !clientId.value) return page('invalid_request', 'The request has no valid client_id.');
  const client = findClient(clientId.value);
  if (!client || client.disabled)
    return page('invalid_client', 'The application that sent you here is not registered.');
  const redirect = one(raw, 'redirect_uri');
  if (redirect.repeated) return page('invalid_request', 'The request has more than one redirect_uri.');
  let redirectUri: string;
  const registered = client.metadata.redirect_uris;
  if (redirect.value === undefined) {
    if (registered.length !== 1) return page('invalid_request', 'The request has no redirect_uri.');
    redirectUri = registered[0]!;
  } else {
    if (!registered.some((r) => redirectUriMatches(r, redirect.value!))) {
      return page('invalid_redirect_uri', 'The redirect_uri is not registered for this application.');
    }
    redirectUri = redirect.value;
  }

  const mode = one(raw, 'response_mode');
  if (mode.value === 'web_message') {
    // Relay mode would hand the response to a third window: refused outright.
    if (raw.web_message_uri !== undefined || raw.web_message_target !== undefined) {
      return page('invalid_request', 'web_message_uri and web_message_target (relay mode) are not supported.');
    }
    if (!/^https?:\/\//.test(redirectUri))
      return page('invalid_request', 'response_mode=web_message needs an http(s) redirect_uri.');
  }
  const state = one(raw, 'state');
  const allowed = registeredResponseModes(client.metadata);
  // A mode the client did not register never carries a response, not even the error saying so.
  const usable =
    (RESPONSE_MODES as string[]).includes(mode.value ?? 'query') && allowed.includes(mode.value ?? 'query');
  const responseMode = usable ? ((mode.value ?? 'query') as ResponseMode) : 'query';
  const target: ResponseTarget = { redirectUri, responseMode, state: state.repeated ? null : (state.value ?? null) };
  return { kind: 'target', client, target, redirectSent: redirect.value !== undefined };
}

/** Parameters this server does not implement, refused by name rather than ignored (RFC 9396, OIDC Core §5.5). */
const UNSUPPORTED: [string, string][] = [
  ['authorization_details', 'invalid_authorization_details'],
  ['claims', 'invalid_request'],
  ['acr_values', 'invalid_request'],
];

/**
 * The one validation of an authorization request's parameters, whether they came to /authorize, were pushed to /par,
 * or were carried in a signed request object: `raw` is the parameters that count (RFC 9101 §5, §6.3).
 */
export function parseAuthorizationRequest(
  raw: Record<string, unknown>,
  findClient: (id: string) => ClientState | undefined,
): AuthorizeParse {
  const resolved = authorizationTarget(raw, findClient);
  if (resolved.kind === 'page') return resolved;
  const { client, target } = resolved;
  const mode = one(raw, 'response_mode');
  const allowed = registeredResponseModes(client.metadata);
  const redirect = { value: resolved.redirectSent ? target.redirectUri : undefined };
  const redirectUri = target.redirectUri;
  const responseMode = target.responseMode;
  const fail = (error: string, description: string): AuthorizeParse => ({
    kind: 'error',
    target,
    error: new OAuthError(400, error, description),
  });

  for (const [key, value] of Object.entries(raw)) {
    if (key !== 'resource' && Array.isArray(value) && value.length > 1)
      return fail('invalid_request', `parameter ${key} is repeated`);
  }
  if (mode.value !== undefined && !(RESPONSE_MODES as string[]).includes(mode.value)) {
    return fail('invalid_request', `response_mode ${mode.value} is not supported`);
  }
  if (mode.value !== undefined && !allowed.includes(mode.value)) {
    return fail(
      'unauthorized_client',
      `response_mode ${mode.value} is not registered for this client (response_modes)`,
    );
  }
  // Handled before this validation: what is left here was sent where it has no meaning (/par, a request object).
  for (const key of ['request', 'request_uri'])
    if (raw[key] !== undefined) return fail('invalid_request', `${key} cannot be used here`);
  for (const [key, error] of UNSUPPORTED) if (raw[key] !== undefined) return fail(error, `${key} is not supported`);
  const responseType = one(raw, 'response_type').value;
  if (!responseType) return fail('invalid_request', 'response_type is missing');
  // RFC 9700 §2.1.2: no implicit flow; the code flow only.
  if (responseType !== 'code')
    return fail('unsupported_response_type', `response_type ${responseType} is not supported; use code`);
  if (!client.metadata.grant_types.includes('authorization_code'))
    return fail('unauthorized_client', 'the client may not use the authorization code grant');

  const method = one(raw, 'code_challenge_method').value;
  const challenge = one(raw, 'code_challenge').value;
  if (method !== undefined && method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
  if (challenge === undefined) return fail('invalid_request', 'code_challenge is required (PKCE, S256)');
  if (method === undefined) return fail('invalid_request', 'code_challenge_method must be S256');
  if (!S256_CHALLENGE.test(challenge))
    return fail('invalid_request', 'code_challenge must be 43 base64url characters (an S256 hash)');

  let scope: string;
  let resource: string[];
  try {
    // OIDC Core §11: offline_access asks for a refresh token, which a client with that grant gets anyway;
    // SPA and mobile libraries add it on their own, so it is never refused to such a client.
    const requestedScope = one(raw, 'scope').value;
    const offline =
      requestedScope?.split(' ').includes('offline_access') && client.metadata.grant_types.includes('refresh_token');
    scope = grantedScope(requestedScope, offline ? `${client.metadata.scope} offline_access` : client.metadata.scope);
    const res = raw.resource;
    resource = resourceIndicators(
      res === undefined ? undefined : (Array.isArray(res) ? res : [res]).map(String).filter(Boolean),
    );
  } catch (err) {
    return { kind: 'error', target, error: err as OAuthError };
  }
  // OIDC Core §3.1.2.1: REQUIRED in an OpenID request, even where OAuth would let a single registered one stand in.
  if (redirect.value === undefined && scope.split(' ').includes('openid'))
    return fail('invalid_request', 'redirect_uri is required in an OpenID Connect request');
  const prompt = (one(raw, 'prompt').value ?? '').split(' ').filter(Boolean);
  if (prompt.some((p) => !PROMPTS.includes(p))) return fail('invalid_request', 'prompt has an unknown value');
  if (prompt.includes('none') && prompt.length > 1)
    return fail('invalid_request', 'prompt=none cannot be combined with other values');
  const maxAgeRaw = one(raw, 'max_age').value;
  if (maxAgeRaw !== undefined && !/^\d{1,9}$/.test(maxAgeRaw))
    return fail('invalid_request', 'max_age must be a whole number of seconds');

  const dpopJkt = one(raw, 'dpop_jkt').value;
  if (dpopJkt !== undefined && !JWK_THUMBPRINT.test(dpopJkt))
    return fail('invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters');

  return {
    kind: 'ok',
    request: {
      clientId: client.clientId,
      redirectUri,
      redirectUriSent: redirect.value !== undefined,
      responseMode,
      state: target.state,
      scope,
      resource,
      codeChallenge: challenge,
      nonce: one(raw, 'nonce').value ?? null,
      prompt,
      maxAge: maxAgeRaw === undefined ? null : Number(maxAgeRaw),
      loginHint: one(raw, 'login_hint').value ?? null,
      dpopJkt: dpopJkt ?? null,
    },
  };
}
