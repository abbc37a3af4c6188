import type { ClientMetadata } from './events.js';

/** What a registration gets for every required field it does not give (the CLI and GraphQL alike). */
const CLIENT_METADATA_DEFAULTS = {
  grant_types: ['client_credentials'],
  redirect_uris: [],
  scope: '',
  token_endpoint_auth_method: 'client_secret_basic',
  access_token_format: 'jwt',
  access_token_signing_alg: 'ES256',
  access_token_ttl: 3600,
} as const satisfies Partial<ClientMetadata>;

/** The fields an operator gave; undefined or null: not given. */
type ClientMetadataChanges = { [K in keyof ClientMetadata]?: ClientMetadata[K] | null };

/**
 * The metadata an operator's registration (no `base`) or update (`base`: the current metadata) means:
 * every given field replaces, every other field keeps its current value (also those no flag or input
 * names), and a new registration takes the defaults.
 */
export function clientMetadata(changes: ClientMetadataChanges, base?: ClientMetadata): ClientMetadata {
  const merged: Record<string, unknown> = { ...(base ?? CLIENT_METADATA_DEFAULTS) };
  for (const [field, value] of Object.entries(changes))
    if (value !== undefined && value !== null) merged[field] = value;
  return merged as ClientMetadata;
}
