import { TOKEN_EXCHANGE_GRANT, type ClientMetadata } from './events.js';
import { ClientMetadataError, scopeTokens } from './metadataRules.js';

/** How many exchanges a chain may hold when the client does not say (RFC 8693 §4.1 sets no limit). */
const DEFAULT_TOKEN_EXCHANGE_MAX_DEPTH = 3;

type ExchangeMetadata = Pick<
  ClientMetadata,
  | 'grant_types'
  | 'token_endpoint_auth_method'
  | 'scope'
  | 'token_exchange_audiences'
  | 'token_exchange_impersonation'
  | 'token_exchange_max_depth'
  | 'token_exchange_scope'
>;

/** What a client may do with token exchange, as its metadata says (defaults filled in). */
export interface TokenExchangePolicy {
  /** The aud values (resource URIs or logical names) it may ask for: nothing else. */
  audiences: readonly string[];
  /** Without an actor_token the new token stands for the subject alone (RFC 8693 §1.1); off unless registered. */
  impersonation: boolean;
  /** How many exchanges may stand between a new token and the token the chain started from. */
  maxDepth: number;
  /** The scopes an exchanged token may keep (always also within the subject token's). */
  scope: readonly string[];
}

export function tokenExchangePolicy(m: ExchangeMetadata): TokenExchangePolicy {
  return {
    audiences: m.token_exchange_audiences ?? [],
    impersonation: m.token_exchange_impersonation ?? false,
    maxDepth: m.token_exchange_max_depth ?? DEFAULT_TOKEN_EXCHANGE_MAX_DEPTH,
    scope: scopeTokens(m.token_exchange_scope ?? m.scope),
  };
}

const VISIBLE = /^[\x21-\x7E]+$/;

/** The registration rules of token exchange, checked with every other rule (checkClientMetadata). */
export function checkTokenExchangeMetadata(m: ExchangeMetadata): void {
  for (const a of m.token_exchange_audiences ?? []) {
    if (!VISIBLE.test(a) || a.includes('#'))
      throw new ClientMetadataError(
        'invalid_client_metadata',
        `token_exchange_audiences entry ${JSON.stringify(a)} must be a URI or name without spaces or fragment`,
      );
  }
  if (!(m.grant_types as readonly string[]).includes(TOKEN_EXCHANGE_GRANT)) return;
  // RFC 8693 §2.1 / §5: an exchange hands out new tokens for presented ones; only an authenticated client may.
  if (m.token_endpoint_auth_method === 'none')
    throw new ClientMetadataError(
      'invalid_client_metadata',
      'a public client (token_endpoint_auth_method none) cannot use token exchange',
    );
  if (!m.token_exchange_audiences?.length)
    throw new ClientMetadataError(
      'invalid_client_metadata',
      'token exchange needs token_exchange_audiences: the resources or audiences the client may request',
    );
}
