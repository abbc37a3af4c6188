import { epochSeconds } from './ports.js';
import type { RefreshIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { scopeForUser } from './personScope.js';
import {
  grantCode,
  includesOpenid,
  mintGrantAccess,
  mintIdToken,
  mintRefresh,
  openidLogin,
  recordGrantTokens,
  refuseIfUserDisabled,
  type GrantTokens,
} from './grantIssuance.js';

export async function rotateRefreshToken(
  ports: Pick<Ports, 'cache' | 'clock' | 'config' | 'events' | 'keys' | 'views'>,
  input: {
    grantId: string;
    jti: string;
    client: ClientState;
    scope: string | undefined;
    held: RefreshIssuedEvent['data'];
    resource: string[];
    /** The thumbprint of the request's verified DPoP proof key, if any. */
    jkt?: string;
  },
  ctx: CommandContext,
): Promise<GrantTokens> {
  const { grantId, held, client } = input;
  const { sub } = held;
  const revocations = refuseIfUserDisabled(ports, sub);
  // RFC 6749 §3.3: ledger:* scopes only for the roles held now, so a revoked role is gone from the next access token.
  const scope = scopeForUser(ports, sub, input.scope ?? held.scope);
  const code = await grantCode(ports, grantId);
  const access = await mintGrantAccess(
    ports,
    'refresh_token',
    { grantId, client, sub, scope },
    { asked: input.resource, granted: code?.resource ?? [] },
    input.jkt,
  );
  // RFC 6749 §6: the new refresh token keeps the scope (and the DPoP binding) of the one it replaces; only the
  // access token narrows. A bound one is rotated only with a proof of its key (the grant decides it).
  const refresh = mintRefresh(ports, grantId, client, sub, held.scope, held.familyExp, held.jkt);
  const login = includesOpenid(scope) ? openidLogin(code) : undefined;
  // OIDC Core §12.2: a fresh ID token for the same login; a nonce belongs to the authentication request only.
  const idToken = login
    ? await mintIdToken(ports, grantId, client, { ...login, nonce: null }, access.token, scope)
    : null;
  const grant = { grantId, sub, scope, nonce: null, authTime: login?.authTime ?? 0, sid: login?.sid ?? null };
  return recordGrantTokens(
    ports,
    { access, refresh, idToken, grant },
    {
      type: 'Refresh',
      jti: input.jti,
      clientId: client.clientId,
      scope: input.scope,
      now: epochSeconds(ports.clock),
      access: access.claims,
      refresh: refresh.data,
      idToken: idToken?.data ?? null,
    },
    ctx,
    { used: 'the refresh token', revocations },
  );
}
