import { Refusal } from '../refusal.js';
import { DEFAULT_RESPONSE_MODES, type ClientMetadata } from './events.js';
import { checkTokenExchangeMetadata } from './tokenExchangePolicy.js';

/** A registration or update that breaks a rule; `code` is the RFC 7591 §3.2.2 error. */
export class ClientMetadataError extends Refusal {
  override readonly name = 'ClientMetadataError';
  constructor(
    readonly code: 'invalid_client_metadata' | 'invalid_redirect_uri',
    message: string,
  ) {
    super(code, message, { reason: code });
  }
}

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

export function scopeTokens(scope: string): string[] {
  return scope.split(' ').filter((s) => s.length > 0);
}

/** RFC 8252 §7.1: a private-use scheme is reverse-DNS, with a dot. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/;

function checkRedirectUri(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect URI ${JSON.stringify(raw)} is not an absolute URI`);
  }
  if (url.hash || raw.includes('#'))
    throw new ClientMetadataError('invalid_redirect_uri', `redirect URI ${raw} has a fragment`);
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    if (url.username || url.password)
      throw new ClientMetadataError('invalid_redirect_uri', `redirect URI ${raw} has credentials`);
    // RFC 9700 §2.6 / RFC 8252 §8.3: plain http only on the loopback interface.
    if (url.protocol === 'http:' && !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) {
      throw new ClientMetadataError(
        'invalid_redirect_uri',
        `redirect URI ${raw}: http is allowed only for loopback (127.0.0.1, [::1], localhost)`,
      );
    }
    return;
  }
  if (
    ['javascript:', 'data:', 'file:', 'vbscript:', 'blob:'].includes(url.protocol) ||
    !PRIVATE_USE_SCHEME.test(url.protocol)
  ) {
    throw new ClientMetadataError(
      'invalid_redirect_uri',
      `redirect URI ${raw}: a custom scheme must be reverse-DNS such as com.example.app:/callback`,
    );
  }
}

/** What the server will honour, from its configuration; absent in pure tests. */
export interface ClientLimits {
  /** MAX_TOKEN_LIFETIME: issuance clamps every access token to it. */
  maxAccessTokenTtl?: number;
  /** PROFILE: fapi2 holds every registration to the FAPI 2.0 Security Profile. */
  profile?: 'default' | 'fapi2';
}

/**
 * A secret an operator chooses may be guessable, so it gets a floor: half the length of a generated
 * one (43 characters, 256 bits), twice a user password's minimum (8).
 */
const MIN_CHOSEN_CLIENT_SECRET_LENGTH = 16;

/** For a client secret the operator chose (a generated one needs no check); before it is hashed. */
export function checkChosenClientSecret(secret: string): void {
  if (secret.length < MIN_CHOSEN_CLIENT_SECRET_LENGTH) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      `a chosen client secret must be at least ${MIN_CHOSEN_CLIENT_SECRET_LENGTH} characters (this one has ` +
        `${secret.length}); leave it out to get a generated one of 43`,
    );
  }
}

/**
 * An access_token_ttl above MAX_TOKEN_LIFETIME would be shown as the client's but never honoured
 * (issuance clamps), so it is refused when it is set. `previous` is the TTL before an update: a
 * client registered before the limit was lowered keeps its value through updates of other fields.
 */
export function checkAccessTokenTtl(ttl: number, limits: ClientLimits, previous?: number): void {
  const max = limits.maxAccessTokenTtl;
  if (max === undefined || ttl <= max || ttl === previous) return;
  throw new ClientMetadataError(
    'invalid_client_metadata',
    `access_token_ttl ${ttl} is above this server's MAX_TOKEN_LIFETIME (${max} seconds), which every token is ` +
      `cut to: choose at most ${max}, or raise MAX_TOKEN_LIFETIME`,
  );
}

/** The response modes a client may use at /authorize: the registered ones, or the defaults (not web_message). */
export function registeredResponseModes(m: Pick<ClientMetadata, 'response_modes'>): readonly string[] {
  return m.response_modes ?? DEFAULT_RESPONSE_MODES;
}

/** Whether introspection by this client may answer for a token of `owner` with audience `aud`. */
export function mayIntrospect(
  m: Pick<ClientMetadata, 'introspection_access' | 'introspection_audiences'>,
  clientId: string,
  owner: string,
  aud: readonly string[],
): boolean {
  if ((m.introspection_access ?? 'all') === 'all' || owner === clientId) return true;
  const audiences = m.introspection_audiences ?? [];
  return aud.some((a) => audiences.includes(a));
}

/** RFC 8707 §2: a resource identifier is an absolute URI without a fragment. */
function checkResourceIdentifier(raw: string): void {
  let ok = !raw.includes('#');
  try {
    new URL(raw);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new ClientMetadataError(
      'invalid_client_metadata',
      `introspection_audiences entry ${JSON.stringify(raw)} must be an absolute URI without a fragment`,
    );
}

/** RFC 7591 §2 display metadata: absolute, of the given schemes, without credentials or fragment. */
function checkDisplayUri(field: string, uri: string | undefined, protocols: string[]): void {
  if (uri === undefined) return;
  const url = URL.canParse(uri) ? new URL(uri) : undefined;
  if (!url || !protocols.includes(url.protocol) || url.username || url.password || uri.includes('#')) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      `${field} ${uri} must be an absolute ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL without ` +
        `credentials or fragment`,
    );
  }
}

/** Cross-field rules the JSON Schema cannot say. */
export function checkClientMetadata(m: ClientMetadata, hasSecret: boolean): void {
  for (const s of scopeTokens(m.scope)) {
    if (!SCOPE_TOKEN.test(s))
      throw new ClientMetadataError(
        'invalid_client_metadata',
        `scope ${JSON.stringify(s)} has characters RFC 6749 §3.3 forbids`,
      );
  }
  const method = m.token_endpoint_auth_method;
  if (method === 'none' && m.grant_types.includes('client_credentials')) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      'a public client (token_endpoint_auth_method none) cannot use client_credentials',
    );
  }
  if (method === 'private_key_jwt' && !m.jwks?.keys.length) {
    throw new ClientMetadataError('invalid_client_metadata', 'private_key_jwt needs jwks with at least one public key');
  }
  // RFC 9101: a request object is verified with the client's registered keys; without them no alg can be met.
  if (m.request_object_signing_alg !== undefined && !m.jwks?.keys.length) {
    throw new ClientMetadataError('invalid_client_metadata', 'request_object_signing_alg needs jwks with a public key');
  }
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && !hasSecret) {
    throw new ClientMetadataError('invalid_client_metadata', `${method} needs a client secret`);
  }
  if (m.grant_types.includes('authorization_code') && m.redirect_uris.length === 0) {
    throw new ClientMetadataError('invalid_redirect_uri', 'authorization_code needs at least one redirect URI');
  }
  for (const key of m.jwks?.keys ?? []) {
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((member) => member in key)) {
      throw new ClientMetadataError('invalid_client_metadata', 'jwks must hold public keys only');
    }
  }
  m.redirect_uris.forEach(checkRedirectUri);
  (m.post_logout_redirect_uris ?? []).forEach(checkRedirectUri);
  if (m.response_modes?.includes('web_message') && !m.redirect_uris.some((u) => /^https?:\/\//.test(u))) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      'response_modes web_message needs an http(s) redirect URI: the response is posted to its origin',
    );
  }
  (m.introspection_audiences ?? []).forEach(checkResourceIdentifier);
  checkTokenExchangeMetadata(m);
  checkDisplayUri('logo_uri', m.logo_uri, ['https:']);
  checkDisplayUri('client_uri', m.client_uri, ['https:', 'http:']);
  checkDisplayUri('policy_uri', m.policy_uri, ['https:']);
  checkDisplayUri('tos_uri', m.tos_uri, ['https:']);
  if (m.backchannel_logout_uri !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(m.backchannel_logout_uri);
    } catch {
      url = undefined;
    }
    // Back-Channel Logout 1.0 §2.2: an absolute http(s) URL without a fragment.
    if (!url || !['http:', 'https:'].includes(url.protocol) || m.backchannel_logout_uri.includes('#')) {
      throw new ClientMetadataError(
        'invalid_client_metadata',
        `backchannel_logout_uri ${m.backchannel_logout_uri} must be an absolute http(s) URL without a fragment`,
      );
    }
  }
}
