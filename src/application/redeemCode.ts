import { createHash } from 'node:crypto';
import { grantAudience } from '../domain/grants/decide.js';
import type { CodeIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import type { Runtime } from '../runtime.js';
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
  rt: Runtime,
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
  const revocations = refuseIfUserDisabled(rt, issued.sub);
  const aud = grantAudience(input.resource, issued.resource, rt.config.issuer);
  const access = await mintAccessToken(rt, {
    client,
    sub: issued.sub,
    scope: issued.scope,
    aud,
    grantType: 'authorization_code',
    grantId: input.grantId,
  });
  const wantsRefresh = client.metadata.grant_types.includes('refresh_token');
  const refresh = wantsRefresh ? mintRefresh(rt, input.grantId, client, issued.sub, issued.scope, null) : null;
  const idToken = includesOpenid(issued.scope)
    ? await mintIdToken(rt, input.grantId, client, issued, access.token)
    : null;
  const events = await runOnGrant(
    rt,
    input.grantId,
    {
      type: 'RedeemCode',
      codeHash: sha256(input.code),
      clientId: client.clientId,
      redirectUri: input.redirectUri,
      verifierChallenge: input.codeVerifier === undefined ? null : s256(input.codeVerifier),
      now: Math.floor(Date.now() / 1000),
      access: access.claims,
      refresh: refresh?.data ?? null,
      idToken: idToken?.data ?? null,
    },
    ctx,
  );
  refuseIfReuse(events, 'the authorization code');
  await refuseIfRaced(rt, input.grantId, issued.sub, revocations, ctx);
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
