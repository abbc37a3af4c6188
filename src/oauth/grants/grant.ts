import type { GrantTokens } from '../../application/grantIssuance.js';
import type { CommandContext } from '../../eventsourcing/ledger.js';
import type { Runtime } from '../../runtime.js';
import type { AuthenticatedClient } from '../clientAuth.js';
import type { Params } from '../params.js';

export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: `DPoP` for a DPoP-bound access token. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 8693 §2.2.1: what a token exchange issued. */
  issued_token_type?: string;
}

/** RFC 6749 §5.1 for the tokens of a grant, with the ID token of OIDC Core §3.1.3.3 when one was minted. */
export function grantTokenResponse(issued: GrantTokens): TokenResponse {
  const response: TokenResponse = {
    access_token: issued.access.token,
    token_type: issued.access.claims.jkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: issued.access.expiresIn,
    scope: issued.grant.scope,
  };
  if (issued.refreshToken) response.refresh_token = issued.refreshToken;
  if (issued.idToken) response.id_token = issued.idToken;
  return response;
}

export interface GrantRequest {
  runtime: Runtime;
  client: AuthenticatedClient;
  params: Params;
  lists: Record<string, string[]>;
  ctx: CommandContext;
  /**
   * The request's DPoP proof, verified and its jti recorded (RFC 9449 §5), or undefined: every token the grant
   * mints is bound to `jkt`.
   */
  dpop: { jkt: string } | undefined;
}

/**
 * A grant type as a plug-in of the token endpoint: the parameters it reads (anything else is
 * dropped before it sees the request) and the handler that turns a request into tokens.
 */
export interface GrantHandler {
  grantType: string;
  parameters: readonly string[];
  multiValued?: readonly string[];
  handle(request: GrantRequest): Promise<TokenResponse>;
}
