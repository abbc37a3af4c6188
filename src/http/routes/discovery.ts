import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { SIGNING_ALGS } from '../../application/keyring.js';
import { grantHandlers } from '../../oauth/grants/index.js';
import { RESPONSE_MODES } from '../../oauth/authorizationRequest.js';
import { ASSERTION_ALGS } from '../../crypto/clientAssertion.js';
import { DPOP_ALGS } from '../../crypto/dpopProof.js';
import { scopeTokens } from '../../domain/clients/metadataRules.js';
import { allClients } from '../../application/queries/clients.js';
import { SUPPORTED_LOCALES } from '../pages/strings.js';
import { FAPI2_ALGS } from '../../domain/clients/securityProfile.js';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
const OIDC_SCOPES = ['openid', 'profile', 'email'];
const OPERATOR_SCOPE_PREFIX = 'ledger:';
/** Every claim an ID token or UserInfo answer can carry. */
const CLAIMS = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'azp',
  'at_hash',
  'sid',
  'amr',
  'name',
  'preferred_username',
  'updated_at',
  'email',
  'email_verified',
];

/**
 * Authorization server metadata (RFC 8414) and OpenID Provider metadata (OIDC Discovery 1.0): one
 * document, served at both well-known paths. Fields appear here as their endpoints are built.
 */
/**
 * PROFILE=fapi2: what every client may use under the FAPI 2.0 Security Profile, and nothing else — private_key_jwt,
 * the profile's algorithms (§5.4), pushed requests, redirects (no web_message).
 */
function fapi2Metadata(m: Record<string, unknown>): Record<string, unknown> {
  const algs = (list: unknown) => (list as string[]).filter((a) => FAPI2_ALGS.includes(a));
  return {
    ...m,
    require_pushed_authorization_requests: true,
    response_modes_supported: RESPONSE_MODES.filter((r) => r !== 'web_message'),
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    introspection_endpoint_auth_methods_supported: ['private_key_jwt'],
    revocation_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: algs(m.token_endpoint_auth_signing_alg_values_supported),
    introspection_endpoint_auth_signing_alg_values_supported: algs(
      m.introspection_endpoint_auth_signing_alg_values_supported,
    ),
    revocation_endpoint_auth_signing_alg_values_supported: algs(
      m.revocation_endpoint_auth_signing_alg_values_supported,
    ),
    id_token_signing_alg_values_supported: algs(m.id_token_signing_alg_values_supported),
    dpop_signing_alg_values_supported: algs(m.dpop_signing_alg_values_supported),
    request_object_signing_alg_values_supported: algs(m.request_object_signing_alg_values_supported),
  };
}

function serverMetadata(runtime: Runtime): Record<string, unknown> {
  const metadata = baseMetadata(runtime);
  return runtime.config.profile === 'fapi2' ? fapi2Metadata(metadata) : metadata;
}

function baseMetadata(runtime: Runtime): Record<string, unknown> {
  const { issuer } = runtime.config;
  const scopes = new Set<string>(OIDC_SCOPES);
  for (const c of allClients(runtime.views)) {
    // A metadata document's scopes are its author's word, not this server's offer.
    if (c.disabled || c.registration?.via === 'metadata_document') continue;
    // ledger:admin and ledger:audit are the operators' scopes for the management API: not advertised.
    for (const s of scopeTokens(c.metadata.scope)) if (!s.startsWith(OPERATOR_SCOPE_PREFIX)) scopes.add(s);
  }
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    device_authorization_endpoint: `${issuer}/device_authorization`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    end_session_endpoint: `${issuer}/logout`,
    introspection_endpoint: `${issuer}/introspect`,
    revocation_endpoint: `${issuer}/revoke`,
    // draft-ietf-oauth-status-list §9: the aggregation lists every published Token Status List;
    // each JWT access token's `status.status_list.uri` names its own (`${issuer}/status-lists/<id>`).
    status_list_aggregation_endpoint: `${issuer}/status-lists`,
    // RFC 9126 §5: pushed requests, required of every client when the server says so (of some when they registered it).
    pushed_authorization_request_endpoint: `${issuer}/par`,
    // RFC 7591 §3: unless DYNAMIC_REGISTRATION=off.
    ...(runtime.config.registration.mode !== 'off' && { registration_endpoint: `${issuer}/register` }),
    require_pushed_authorization_requests: runtime.config.requirePushedAuthorizationRequests,
    grant_types_supported: grantHandlers.map((g) => g.grantType),
    response_types_supported: ['code'],
    response_modes_supported: RESPONSE_MODES,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    scopes_supported: [...scopes].sort(),
    token_endpoint_auth_methods_supported: [...AUTH_METHODS, 'none'],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint_auth_methods_supported: [...AUTH_METHODS, 'none'],
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_signing_alg_values_supported: ['RS256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
    // RFC 9449 §5.1: exactly the algorithms the proof verifier accepts.
    dpop_signing_alg_values_supported: DPOP_ALGS,
    claims_supported: CLAIMS,
    claims_parameter_supported: false,
    // RFC 9101: request objects by value; a request_uri only as /par hands it out, never one to fetch.
    request_parameter_supported: true,
    request_uri_parameter_supported: false,
    request_object_signing_alg_values_supported: ASSERTION_ALGS,
    require_request_uri_registration: false,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: false,
    ui_locales_supported: SUPPORTED_LOCALES,
    // draft-ietf-oauth-client-id-metadata-document §5: an https client_id is fetched (CLIENT_ID_METADATA_DOCUMENTS).
    ...(runtime.config.registration.metadataDocuments && { client_id_metadata_document_supported: true }),
  };
}

const metadataSchema = {
  type: 'object',
  properties: { issuer: { type: 'string' }, jwks_uri: { type: 'string' } },
  required: ['issuer', 'jwks_uri'],
  additionalProperties: true,
} as const;

export async function discoveryRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const opts = { schema: { response: { 200: metadataSchema } } };
  const handler = async (_req: unknown, reply: { header(k: string, v: string): unknown }) => {
    reply.header('cache-control', 'public, max-age=300');
    return serverMetadata(runtime);
  };
  app.get('/.well-known/openid-configuration', opts, handler);
  app.get('/.well-known/oauth-authorization-server', opts, handler);
}
