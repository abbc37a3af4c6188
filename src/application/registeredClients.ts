import { randomBytes } from 'node:crypto';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { sha256 } from '../crypto/hash.js';
import { decideClient } from '../domain/clients/decide.js';
import { ClientMetadata, type SecretHash } from '../domain/clients/events.js';
import { ClientMetadataError } from '../domain/clients/metadataRules.js';
import type { ClientState } from '../domain/clients/state.js';
import { Refusal } from '../domain/refusal.js';
import { checkRegistrationPolicy, type RegistrationPolicy } from '../domain/registration/policy.js';
import { checkSelfRegistration, requestedMetadata } from '../domain/registration/selfRegistration.js';
import type { Ports } from './ports.js';
import { serverRegistrationPolicy } from './registrationPolicy.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let validateSchema: ReturnType<Ajv['compile']> | undefined;

const DRY_RUN_SECRET: SecretHash = { alg: 'sha256', hash: 'A'.repeat(43) };

/** RFC 6750 §3.1, as RFC 7591 §3 and RFC 7592 §2 use it: the bearer token of the request is not good. */
export const invalidToken = (description = 'the access token is not valid') =>
  new Refusal('invalid_token', description, {
    status: 401,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

/** RFC 6750 §3.1: a request with no credentials at all gets a challenge without an error code. */
export const missingToken = (description: string) =>
  new Refusal('invalid_token', description, { status: 401, headers: { 'www-authenticate': 'Bearer' } });

/** A registration access token: 256 random bits, handed out once, kept as its SHA-256. */
export function newRegistrationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token) };
}

/** The event schema's verdict on metadata, before any write: the field the first problem is in says the code. */
function checkSchema(m: ClientMetadata): void {
  if (!validateSchema) {
    const ajv = new Ajv({ allErrors: false, strict: true });
    addFormats(ajv);
    validateSchema = ajv.compile(ClientMetadata);
  }
  if (validateSchema(m)) return;
  const e = validateSchema.errors?.[0];
  const field = (e?.instancePath ?? '').split('/')[1] ?? '';
  const code = field.endsWith('redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata';
  throw new ClientMetadataError(code, `${field || 'metadata'} ${e?.message ?? 'is invalid'}`);
}

/**
 * Every check a self-registration (or its RFC 7592 replacement) must pass, as a dry run: the metadata asked for
 * (JSON fields over defaults, a software statement's claims over both), the event schema, the server's policy and
 * the initial access token's, then the client decider itself on the command that will be written. Throws the RFC
 * 7591 refusal; writes nothing.
 */
export async function checkedMetadata(
  ports: Pick<Ports, 'config' | 'events'>,
  body: Record<string, unknown>,
  policies: (RegistrationPolicy | undefined)[],
  decision: { clientId: string; current?: ClientState },
): Promise<ClientMetadata> {
  const all = [await serverRegistrationPolicy(ports), ...policies];
  const metadata = requestedMetadata(body);
  // RFC 7591 §2: a registration naming no scope gets the server's default, here the narrowest policy's scopes (an
  // MCP client registers before it knows which scopes its servers will ask for).
  const defaultScope = [...all].reverse().find((p) => p?.scope !== undefined)?.scope;
  if (body.scope === undefined && defaultScope !== undefined) metadata.scope = defaultScope;
  // A lifetime not asked for is the default cut to what the policies allow, rather than a refusal of what no one asked.
  const maxTtls = all.flatMap((p) => (p?.maxAccessTokenTtl === undefined ? [] : [p.maxAccessTokenTtl]));
  if (body.access_token_ttl === undefined && maxTtls.length)
    metadata.access_token_ttl = Math.min(metadata.access_token_ttl, ...maxTtls);
  checkSchema(metadata);
  checkSelfRegistration(metadata);
  for (const policy of all) if (policy) checkRegistrationPolicy(policy, metadata);
  const limits = { maxAccessTokenTtl: ports.config.maxTokenLifetimeSeconds, profile: ports.config.profile };
  const { clientId, current } = decision;
  if (current) decideClient({ type: 'UpdateClient', clientId, metadata }, current, limits);
  else {
    // A new client gets a generated secret exactly when its method takes one: the dry run needs only that it will.
    const secret = needsSecret(metadata) ? DRY_RUN_SECRET : null;
    decideClient({ type: 'RegisterClient', clientId, metadata, secret }, undefined, limits);
  }
  return metadata;
}

/** The client authenticates with a shared secret (RFC 6749 §2.3.1). */
export const needsSecret = (m: Pick<ClientMetadata, 'token_endpoint_auth_method'>): boolean =>
  m.token_endpoint_auth_method === 'client_secret_basic' || m.token_endpoint_auth_method === 'client_secret_post';

/** RFC 7591 §3.2.1 / RFC 7592 §3: the client information response. */
export interface ClientInformation {
  client_id: string;
  client_id_issued_at: number;
  client_secret?: string;
  client_secret_expires_at?: number;
  registration_access_token?: string;
  registration_client_uri: string;
  [field: string]: unknown;
}

/**
 * The registered metadata and the RFC 7591/7592 fields. A secret and a registration access token appear only when
 * just made: the ledger keeps their hashes, so neither can be shown again.
 */
export function clientInformation(
  issuer: string,
  client: ClientState,
  shown: { secret?: string | null; registrationToken?: string; softwareStatement?: string } = {},
): ClientInformation {
  return {
    ...client.metadata,
    client_id: client.clientId,
    client_id_issued_at: Math.floor(client.registeredAt / 1000),
    ...(shown.secret && { client_secret: shown.secret }),
    // RFC 7591 §3.2.1: required with a secret; 0, it does not expire.
    ...(client.secret && { client_secret_expires_at: 0 }),
    ...(shown.registrationToken && { registration_access_token: shown.registrationToken }),
    // RFC 7591 §3.2.1: a statement the registration used is returned unmodified (it is not kept: GET cannot).
    ...(shown.softwareStatement && { software_statement: shown.softwareStatement }),
    registration_client_uri: `${issuer}/register/${encodeURIComponent(client.clientId)}`,
  };
}
