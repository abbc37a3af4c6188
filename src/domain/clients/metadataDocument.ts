import { Value } from '@sinclair/typebox/value';
import { ClientMetadata } from './events.js';
import { clientMetadata } from './metadataDefaults.js';
import { ClientMetadataError } from './metadataRules.js';

/**
 * The RFC 7591 fields a client ID metadata document may set. Everything else in it is ignored: unknown fields, and
 * this server's own settings (access_token_ttl, introspection and token exchange policy), which are the operator's.
 */
const DOCUMENT_FIELDS = [
  'client_name',
  'logo_uri',
  'client_uri',
  'grant_types',
  'redirect_uris',
  'scope',
  'token_endpoint_auth_method',
  'jwks',
  'id_token_signed_response_alg',
  'post_logout_redirect_uris',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'response_modes',
  'dpop_bound_access_tokens',
  'require_pushed_authorization_requests',
  'request_object_signing_alg',
] as const satisfies readonly (keyof ClientMetadata)[];

/** No shared secret can be set up with a document (draft §4.1): a public client, or one with its own keys. */
const DOCUMENT_AUTH_METHODS = ['none', 'private_key_jwt'];

const refuse = (message: string): never => {
  throw new ClientMetadataError('invalid_client_metadata', message);
};

/** A value from the document, quoted and cut short: it is someone else's text in an error message. */
const quoted = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
};

/**
 * The metadata a client ID metadata document fetched from `url` gives its client, by the draft's rules: its
 * client_id is the URL exactly, it carries no secret, and the client authenticates with none or private_key_jwt (keys
 * in jwks: a jwks_uri is not fetched). RFC 7591 defaults otherwise (authorization_code, none). The cross-field rules
 * every registration is held to are the client decider's (checkClientMetadata); this gives it a well-typed value.
 */
export function metadataFromDocument(url: string, document: Record<string, unknown>): ClientMetadata {
  if (document.client_id !== url)
    refuse(`its client_id ${quoted(document.client_id)} is not the URL it was fetched from`);
  if (Object.hasOwn(document, 'client_secret') || Object.hasOwn(document, 'client_secret_expires_at'))
    refuse('it must not contain client_secret or client_secret_expires_at');
  const method = document.token_endpoint_auth_method ?? 'none';
  if (typeof method !== 'string' || !DOCUMENT_AUTH_METHODS.includes(method))
    refuse(`token_endpoint_auth_method must be none or private_key_jwt, not ${quoted(method)}`);
  // Trivial: absent, null or empty. Anything else would be a second URL to fetch, which this server does not do.
  if (document.jwks_uri !== undefined && document.jwks_uri !== null && document.jwks_uri !== '')
    refuse('jwks_uri is not supported: give the public keys in jwks');
  const changes: Record<string, unknown> = { grant_types: ['authorization_code'], token_endpoint_auth_method: 'none' };
  for (const field of DOCUMENT_FIELDS) if (Object.hasOwn(document, field)) changes[field] = document[field];
  // As a client registered at /register: it may introspect its own tokens and those naming it, never all.
  const metadata: ClientMetadata = { ...clientMetadata(changes), introspection_access: 'own_and_audience' };
  const wrong = Value.Errors(ClientMetadata, metadata).First();
  if (wrong) refuse(`${wrong.path.slice(1) || 'the document'}: ${wrong.message}`);
  return metadata;
}
