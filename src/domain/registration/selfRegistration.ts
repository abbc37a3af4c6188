import { ClientMetadata } from '../clients/events.js';
import { clientMetadata } from '../clients/metadataDefaults.js';
import { ClientMetadataError, scopeTokens } from '../clients/metadataRules.js';

/**
 * Fields only an operator sets: what a client may introspect and how far it may exchange tokens. A self-registration
 * naming them is not refused (RFC 7591 §2: the server may replace a requested value) but gets the values below.
 */
const OPERATOR_ONLY = new Set([
  'introspection_access',
  'introspection_audiences',
  'token_exchange_audiences',
  'token_exchange_impersonation',
  'token_exchange_max_depth',
  'token_exchange_scope',
]);

/** The metadata fields a registration request may carry: those the server knows, less the operator's. */
const REQUESTABLE = Object.keys(ClientMetadata.properties).filter((f) => !OPERATOR_ONLY.has(f));

/** Scopes of the management API (GraphQL): an operator's client gets them, a self-registered one never does. */
const OPERATOR_SCOPE_PREFIX = 'ledger:';

/** RFC 7591 §2: a registration that names no grant type uses the authorization code only (not the CLI's default). */
const SELF_REGISTRATION_DEFAULTS = { grant_types: ['authorization_code'] } as const satisfies Partial<ClientMetadata>;

/** What a self-registered client is answered about the tokens of other clients: only those meant for it. */
const SELF_REGISTERED = { introspection_access: 'own_and_audience' } as const satisfies Partial<ClientMetadata>;

/**
 * The metadata an RFC 7591 registration (or an RFC 7592 full replacement) asks for: the fields this server knows,
 * unknown ones ignored (§2), every field not given at its default as an operator's registration gets it. The result
 * is checked against the event schema and the metadata rules by the caller, before anything is written.
 */
export function requestedMetadata(body: Record<string, unknown>): ClientMetadata {
  // RFC 7591 §2: jwks_uri would make the server fetch the client's keys; only jwks by value is supported.
  if (body.jwks_uri !== undefined)
    throw new ClientMetadataError('invalid_client_metadata', 'jwks_uri is not supported: register the keys as jwks');
  if (body.response_types !== undefined) checkResponseTypes(body.response_types);
  const given: Record<string, unknown> = {};
  for (const field of REQUESTABLE) if (body[field] !== undefined && body[field] !== null) given[field] = body[field];
  return { ...clientMetadata({ ...SELF_REGISTRATION_DEFAULTS, ...given }), ...SELF_REGISTERED };
}

/** RFC 7591 §2.1: this server answers the code response type only. */
function checkResponseTypes(types: unknown): void {
  if (!Array.isArray(types) || types.some((t) => t !== 'code'))
    throw new ClientMetadataError('invalid_client_metadata', 'response_types supported: code');
}

/**
 * What no self-registration may have, whatever the policies say: the operators' scopes, and a plain-http home page
 * (every link the pages show for such a client is https, as its logo, privacy policy and terms already must be; an
 * operator may still link an internal http site).
 */
export function checkSelfRegistration(m: ClientMetadata): void {
  if (m.client_uri !== undefined && !m.client_uri.startsWith('https://'))
    throw new ClientMetadataError('invalid_client_metadata', `client_uri ${m.client_uri} must be an https URL`);
  const operator = scopeTokens(m.scope).filter((s) => s.startsWith(OPERATOR_SCOPE_PREFIX));
  if (operator.length)
    throw new ClientMetadataError(
      'invalid_client_metadata',
      `scope ${operator.join(' ')} is for operators' clients only: it cannot be self-registered`,
    );
}
