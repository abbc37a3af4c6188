import { epochSeconds } from './ports.js';
import { grantAudience } from '../domain/grants/decide.js';
import type { RefreshIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Ports } from './ports.js';
import { mintAccessToken } from './tokens.js';
import {
  grantCode,
  includesOpenid,
  mintIdToken,
  mintRefresh,
  openidLogin,
  refuseIfRaced,
  refuseIfReuse,
  refuseIfUserDisabled,
  runOnGrant,
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
  },
  ctx: CommandContext,
): Promise<GrantTokens> {
  const { held, client } = input;
  const revocations = refuseIfUserDisabled(ports, held.sub);
  const scope = input.scope ?? held.scope;
  const code = await grantCode(ports, input.grantId);
  const aud = grantAudience(input.resource, code?.resource ?? [], ports.config.issuer);
  const access = await mintAccessToken(ports, {
    client,
    sub: held.sub,
    scope,
    aud,
    grantType: 'refresh_token',
    grantId: input.grantId,
  });
  // RFC 6749 §6: the new refresh token keeps the scope of the one it replaces; only the access token narrows.
  const refresh = mintRefresh(ports, input.grantId, client, held.sub, held.scope, held.familyExp);
  const login = includesOpenid(scope) ? openidLogin(code) : undefined;
  // OIDC Core §12.2: a fresh ID token for the same login; a nonce belongs to the authentication request only.
  const idToken = login
    ? await mintIdToken(ports, input.grantId, client, { ...login, nonce: null }, access.token)
    : null;
  const events = await runOnGrant(
    ports,
    input.grantId,
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
  );
  refuseIfReuse(events, 'the refresh token');
  await refuseIfRaced(ports, input.grantId, held.sub, revocations, ctx);
  return {
    access,
    refreshToken: refresh.token,
    idToken: idToken?.token ?? null,
    grant: {
      grantId: input.grantId,
      sub: held.sub,
      scope,
      nonce: null,
      authTime: login?.authTime ?? 0,
      sid: login?.sid ?? null,
    },
  };
}
