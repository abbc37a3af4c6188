import type { CommandContext } from '../../eventsourcing/ledger.js';
import type { Runtime } from '../../runtime.js';
import type { AuthenticatedClient } from '../clientAuth.js';
import type { Params } from '../params.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

export interface GrantRequest {
  runtime: Runtime;
  client: AuthenticatedClient;
  params: Params;
  lists: Record<string, string[]>;
  ctx: CommandContext;
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
