import { epochSeconds } from './ports.js';
import { createHash } from 'node:crypto';
import type { CodeIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import type { Ports } from './ports.js';
import { scopeForUser } from './personScope.js';
import {
  includesOpenid,
  mintGrantAccess,
  mintIdToken,
  mintRefresh,
  recordGrantTokens,
  refuseIfUserDisabled,
  type GrantTokens,
} from './grantIssuance.js';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export async function redeemAuthorizationCode(
  ports: Pick<Ports, 'cache' | 'clock' | 'config' | 'events' | 'keys' | 'views'>,
  input: {
    grantId: string;
    code: string;
    client: ClientState;
    redirectUri: string | undefined;
    codeVerifier: string | undefined;
    issued: CodeIssuedEvent['data'];
    resource: string[];
    /** The thumbprint of the request's verified DPoP proof key, if any. */
    jkt?: string;
  },
  ctx: CommandContext,
): Promise<GrantTokens> {
  const { grantId, issued, client } = input;
  const { sub, nonce, authTime, sid } = issued;
  const revocations = refuseIfUserDisabled(ports, sub);
  // The roles held now, not when the code was issued: a role revoked in between is not in the tokens.
  const scope = scopeForUser(ports, sub, issued.scope);
  const access = await mintGrantAccess(
    ports,
    'authorization_code',
    { grantId, client, sub, scope },
    { asked: input.resource, granted: issued.resource },
    input.jkt,
  );
  const wantsRefresh = client.metadata.grant_types.includes('refresh_token');
  // RFC 9449 §5: a public client's refresh token is bound to its DPoP key; a confidential client's is not (it
  // authenticates anyway), only its access tokens are.
  const refreshJkt = client.metadata.token_endpoint_auth_method === 'none' ? input.jkt : undefined;
  const refresh = wantsRefresh ? mintRefresh(ports, grantId, client, sub, scope, null, refreshJkt) : null;
  const idToken = includesOpenid(scope) ? await mintIdToken(ports, grantId, client, issued, access.token, scope) : null;
  return recordGrantTokens(
    ports,
    { access, refresh, idToken, grant: { grantId, sub, scope, nonce, authTime, sid } },
    {
      type: 'RedeemCode',
      codeHash: sha256(input.code),
      clientId: client.clientId,
      redirectUri: input.redirectUri,
      verifierChallenge: input.codeVerifier === undefined ? null : s256(input.codeVerifier),
      now: epochSeconds(ports.clock),
      access: access.claims,
      refresh: refresh?.data ?? null,
      idToken: idToken?.data ?? null,
    },
    ctx,
    { used: 'the authorization code', revocations },
  );
}
