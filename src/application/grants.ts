import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { consentDecider } from '../domain/consent/decide.js';
import { consentStream } from '../domain/consent/streams.js';
import { GrantError, grantAudience, isReuseVerdict, type GrantCommand } from '../domain/grants/decide.js';
import { grantDecider } from '../domain/grants/decider.js';
import type { CodeIssuedEvent, IdTokenIssuedEvent, RefreshIssuedEvent } from '../domain/grants/events.js';
import { evolveGrant, type GrantEvent } from '../domain/grants/evolve.js';
import { initialGrant, type GrantState } from '../domain/grants/state.js';
import { grantStream } from '../domain/grants/streams.js';
import { sessionDecider } from '../domain/sessions/decide.js';
import { sessionStream } from '../domain/sessions/streams.js';
import type { ClientState } from '../domain/clients/state.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../ledger/ledger.js';
import { sha256 } from '../tokens/hash.js';
import { mintSecret } from '../tokens/secrets.js';
import type { Runtime } from '../runtime.js';
import { mintAccessToken, NoSigningKeyError, type IssuedAccessToken } from './tokens.js';
import { atHash, signIdToken } from '../tokens/idToken.js';
import { usersProjection } from '../../projections/users.js';

export const CODE_LIFETIME_SECONDS = 60;

async function run(rt: Runtime, grantId: string, command: GrantCommand, ctx: CommandContext): Promise<GrantEvent[]> {
  const { events } = await execute(writePorts(rt), grantStream(grantId), grantDecider, command, ctx, {
    cache: rt.stateCache,
  });
  return events;
}

export interface CodeRequest {
  client: ClientState;
  sub: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scope: string;
  resource: string[];
  codeChallenge: string | null;
  nonce: string | null;
  authTime: number;
  sid: string | null;
  amr?: string[];
}

/** Starts a grant with a single-use code (256 bits, 60 s); only its hash is written. */
export async function issueAuthorizationCode(rt: Runtime, req: CodeRequest, ctx: CommandContext): Promise<string> {
  const code = mintSecret('tlac');
  const grantId = uuidv7();
  const data: CodeIssuedEvent['data'] = {
    grantId,
    codeHash: sha256(code),
    clientId: req.client.clientId,
    sub: req.sub,
    redirectUri: req.redirectUri,
    redirectUriSent: req.redirectUriSent,
    scope: req.scope,
    resource: req.resource,
    codeChallenge: req.codeChallenge,
    nonce: req.nonce,
    authTime: req.authTime,
    sid: req.sid,
    exp: Math.floor(Date.now() / 1000) + CODE_LIFETIME_SECONDS,
    ...(req.amr ? { amr: req.amr } : {}),
  };
  await run(rt, grantId, { type: 'IssueCode', code: data }, ctx);
  return code;
}

export interface GrantTokens {
  access: IssuedAccessToken;
  refreshToken: string | null;
  idToken: string | null;
  grant: { grantId: string; sub: string; scope: string; nonce: string | null; authTime: number; sid: string | null };
}

function mintRefresh(
  rt: Runtime,
  grantId: string,
  client: ClientState,
  sub: string,
  scope: string,
  familyExp: number | null,
) {
  const token = mintSecret('tlrt');
  const now = Math.floor(Date.now() / 1000);
  const data: RefreshIssuedEvent['data'] = {
    grantId,
    jti: uuidv7(),
    tokenHash: sha256(token),
    clientId: client.clientId,
    sub,
    scope,
    iat: now,
    familyExp: familyExp ?? now + rt.config.refreshTokenAbsoluteSeconds,
    exp: 0,
  };
  data.exp = Math.min(now + rt.config.refreshTokenIdleSeconds, data.familyExp);
  return { token, data };
}

/**
 * A disabled user's grants give nothing, whatever the grant stream says: UserDisabled is the fact,
 * and the GrantRevoked records that follow it may still be on their way (or cut short by a crash).
 * Checked before anything is minted or written; returns the user's revocation count for
 * `refuseIfRaced`.
 */
function refuseIfUserDisabled(rt: Runtime, sub: string): number {
  const user = rt.runner.view(usersProjection).bySub.get(sub);
  if (user?.disabled) throw new GrantError('invalid_grant', 'the user is disabled');
  return user?.revocations ?? 0;
}

/**
 * The views drop what a user holds when UserDisabled or UserSessionsRevoked is applied, but tokens
 * written after that event, by a request that read the views before it, would outlive it. Once our
 * events are applied, a changed count means such an event came first: the grant is revoked and the
 * request refused, so a password change never misses a refresh that was in flight.
 */
async function refuseIfRaced(
  rt: Runtime,
  grantId: string,
  sub: string,
  seen: number,
  ctx: CommandContext,
): Promise<void> {
  if ((rt.runner.view(usersProjection).bySub.get(sub)?.revocations ?? 0) === seen) return;
  await run(
    rt,
    grantId,
    { type: 'RevokeGrant', reason: 'the user was signed out everywhere during this request' },
    ctx,
  );
  throw new GrantError('invalid_grant', 'the user was signed out everywhere');
}

/** The one answer to a reuse: the events are written (the grant is revoked), then the request is refused. */
function refuseIfReuse(events: GrantEvent[], what: string): void {
  if (isReuseVerdict(events))
    throw new GrantError('invalid_grant', `${what} was already used; every token of its grant is revoked`);
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

const ID_TOKEN_SECONDS = 3600;

const includesOpenid = (scope: string) => scope.split(' ').includes('openid');

/** Who authenticated, when and how: what an ID token asserts, taken from the grant's code. */
type Authentication = Pick<CodeIssuedEvent['data'], 'sub' | 'authTime' | 'nonce' | 'sid' | 'amr'>;

/**
 * An ID token for an `openid` grant (OIDC Core §2), signed RS256 unless the client registered ES256.
 * `auth_time` is always the original login's, also when minted again on refresh (OIDC Core §12.2).
 */
async function mintIdToken(
  rt: Runtime,
  grantId: string,
  client: ClientState,
  issued: Authentication,
  accessToken: string,
) {
  const alg = client.metadata.id_token_signed_response_alg ?? 'RS256';
  const key = await rt.keys.signingKey(alg);
  if (!key) throw new NoSigningKeyError(`no ${alg} signing key is active`);
  const now = Math.floor(Date.now() / 1000);
  const jti = uuidv7();
  const token = signIdToken(
    {
      iss: rt.config.issuer,
      sub: issued.sub,
      aud: client.clientId,
      exp: now + ID_TOKEN_SECONDS,
      iat: now,
      auth_time: issued.authTime,
      ...(issued.nonce !== null ? { nonce: issued.nonce } : {}),
      azp: client.clientId,
      at_hash: atHash(accessToken),
      ...(issued.sid !== null ? { sid: issued.sid } : {}),
      ...(issued.amr ? { amr: issued.amr } : {}),
      jti,
    },
    key,
  );
  const data: IdTokenIssuedEvent['data'] = {
    grantId,
    jti,
    tokenHash: sha256(token),
    clientId: client.clientId,
    sub: issued.sub,
    iat: now,
    exp: now + ID_TOKEN_SECONDS,
    authTime: issued.authTime,
    nonce: issued.nonce,
    sid: issued.sid,
    kid: key.kid,
  };
  return { token, data };
}

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
  const events = await run(
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

export async function rotateRefreshToken(
  rt: Runtime,
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
  const revocations = refuseIfUserDisabled(rt, held.sub);
  const scope = input.scope ?? held.scope;
  const code = await grantCode(rt, input.grantId);
  const aud = grantAudience(input.resource, code?.resource ?? [], rt.config.issuer);
  const access = await mintAccessToken(rt, {
    client,
    sub: held.sub,
    scope,
    aud,
    grantType: 'refresh_token',
    grantId: input.grantId,
  });
  // RFC 6749 §6: the new refresh token keeps the scope of the one it replaces; only the access token narrows.
  const refresh = mintRefresh(rt, input.grantId, client, held.sub, held.scope, held.familyExp);
  const login = includesOpenid(scope) ? openidLogin(code) : undefined;
  // OIDC Core §12.2: a fresh ID token for the same login; a nonce belongs to the authentication request only.
  const idToken = login ? await mintIdToken(rt, input.grantId, client, { ...login, nonce: null }, access.token) : null;
  const events = await run(
    rt,
    input.grantId,
    {
      type: 'Refresh',
      jti: input.jti,
      clientId: client.clientId,
      scope: input.scope,
      now: Math.floor(Date.now() / 1000),
      access: access.claims,
      refresh: refresh.data,
      idToken: idToken?.data ?? null,
    },
    ctx,
  );
  refuseIfReuse(events, 'the refresh token');
  await refuseIfRaced(rt, input.grantId, held.sub, revocations, ctx);
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

/** The OpenID login a grant started from, or undefined when it was no OpenID authentication. */
function openidLogin(code: CodeIssuedEvent['data'] | undefined): CodeIssuedEvent['data'] | undefined {
  return code && includesOpenid(code.scope) && code.authTime > 0 ? code : undefined;
}

/**
 * The authorization request a grant started from (its code's claims). The code never changes once
 * written, so the folded state cached by the last command serves as well as reading the whole
 * (perhaps long-rotated) grant again.
 */
async function grantCode(rt: Runtime, grantId: string): Promise<CodeIssuedEvent['data'] | undefined> {
  return (
    rt.stateCache.get<GrantState>(grantStream(grantId))?.state.code ?? (await readGrant(rt, grantId)).code ?? undefined
  );
}

/** Revokes one token of a grant (a refresh token takes the whole grant with it); false when nothing changed. */
export async function revokeGrantToken(
  rt: Runtime,
  grantId: string,
  jti: string,
  clientId: string | null,
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  return (await run(rt, grantId, { type: 'RevokeToken', jti, clientId, reason }, ctx)).length > 0;
}

export async function revokeGrant(rt: Runtime, grantId: string, reason: string, ctx: CommandContext): Promise<boolean> {
  return (await run(rt, grantId, { type: 'RevokeGrant', reason }, ctx)).length > 0;
}

/** Reads a grant's code as issued (the token endpoint needs its claims to mint tokens). */
export async function readGrant(rt: Runtime, grantId: string): Promise<GrantState> {
  const events = await rt.store.readStream(grantStream(grantId));
  return events.reduce((s, e) => evolveGrant(s, e as unknown as GrantEvent), initialGrant());
}

/** Remembers consent for these scopes (added to any given before). */
export async function grantConsent(
  rt: Runtime,
  sub: string,
  clientId: string,
  scope: string,
  ctx: CommandContext,
): Promise<void> {
  await execute(
    writePorts(rt),
    consentStream(sub, clientId),
    consentDecider,
    { type: 'RecordConsent', sub, clientId, scope },
    ctx,
  );
}

/** A browser session: the returned id goes in the cookie, its hash in the ledger. */
export async function startSession(
  rt: Runtime,
  sub: string,
  amr: string[],
  ctx: CommandContext,
): Promise<{ sid: string; authTime: number }> {
  const sid = mintSecret('tlsid');
  const authTime = Math.floor(Date.now() / 1000);
  const sidHash = sha256(sid);
  const exp = authTime + rt.config.sessionSeconds;
  // The id is a fresh 256-bit secret: its stream is new.
  await execute(
    writePorts(rt),
    sessionStream(sidHash),
    sessionDecider,
    { type: 'StartSession', sidHash, sub, authTime, amr, exp },
    ctx,
    {
      fresh: true,
    },
  );
  return { sid, authTime };
}

export async function endSession(rt: Runtime, sid: string, reason: string, ctx: CommandContext): Promise<void> {
  await endSessionByHash(rt, sha256(sid), reason, ctx);
}

/** Ends a session known by its hash (the ledger's and the history's name for it). */
export async function endSessionByHash(
  rt: Runtime,
  sidHash: string,
  reason: string,
  ctx: CommandContext,
): Promise<void> {
  await execute(writePorts(rt), sessionStream(sidHash), sessionDecider, { type: 'EndSession', sidHash, reason }, ctx);
}
