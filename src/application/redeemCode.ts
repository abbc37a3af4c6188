import { epochSeconds } from './ports.js';
import { createHash } from 'node:crypto';
import { grantAudience } from '../domain/grants/decide.js';
import type { CodeIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import type { Ports } from './ports.js';
import { mintAccessToken } from './tokens.js';
import {
  includesOpenid,
  mintIdToken,
  mintRefresh,
  refuseIfRaced,
  refuseIfReuse,
  refuseIfUserDisabled,
  runOnGrant,
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
  },
  ctx: CommandContext,
): Promise<GrantTokens> {
  const { issued, client } = input;
  const revocations = refuseIfUserDisabled(ports, issued.sub);
  const aud = grantAudience(input.resource, issued.resource, ports.config.issuer);
  const access = await mintAccessToken(ports, {
    client,
    sub: issued.sub,
    scope: issued.scope,
    aud,
    grantType: 'authorization_code',
    grantId: input.grantId,
  });
  const wantsRefresh = client.metadata.grant_types.includes('refresh_token');
  const refresh = wantsRefresh ? mintRefresh(ports, input.grantId, client, issued.sub, issued.scope, null) : null;
  const idToken = includesOpenid(issued.scope)
    ? await mintIdToken(ports, input.grantId, client, issued, access.token)
    : null;
  const events = await runOnGrant(
    ports,
    input.grantId,
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
  );
  refuseIfReuse(events, 'the authorization code');
  await refuseIfRaced(ports, input.grantId, issued.sub, revocations, ctx);
  return {
    access,
    refreshToken: refresh?.token ?? null,
    idToken: idToken?.token ?? null,
    grant: {
      grantId: input.grantId,
      sub: issued.sub,
      scope: issued.scope,
      nonce: issued.nonce,
      authTime: issued.authTime,
      sid: issued.sid,
    },
  };
}
