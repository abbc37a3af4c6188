import { epochSeconds } from './ports.js';
import { v7 as uuidv7 } from 'uuid';
import { GrantError, grantAudience, isReuseVerdict, type GrantCommand } from '../domain/grants/decide.js';
import { grantDecider } from '../domain/grants/decider.js';
import type { CodeIssuedEvent, IdTokenIssuedEvent, RefreshIssuedEvent } from '../domain/grants/events.js';
import { evolveGrant, type GrantEvent } from '../domain/grants/evolve.js';
import { initialGrant, type GrantState } from '../domain/grants/state.js';
import { grantStream } from '../domain/grants/streams.js';
import type { ClientState } from '../domain/clients/state.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import { mintSecret } from '../crypto/secrets.js';
import type { Ports } from './ports.js';
import { mintAccessToken, NoSigningKeyError, type IssuedAccessToken } from './tokens.js';
import { atHash, signIdToken } from '../crypto/idToken.js';
import { userBySub } from './queries/users.js';
import { fapi2Applies } from '../domain/clients/securityProfile.js';
import { rolesInScope } from '../domain/users/roles.js';

export const CODE_LIFETIME_SECONDS = 60;

/** A grant command through the one write path, on the cached fold of its (perhaps long-rotated) stream. */
export async function runOnGrant(
  ports: Pick<Ports, 'cache' | 'events'>,
  grantId: string,
  command: GrantCommand,
  ctx: CommandContext,
): Promise<GrantEvent[]> {
  const { events } = await execute(ports.events, grantStream(grantId), grantDecider, command, ctx, {
    cache: ports.cache,
  });
  return events;
}

export interface GrantTokens {
  access: IssuedAccessToken;
  refreshToken: string | null;
  idToken: string | null;
  grant: { grantId: string; sub: string; scope: string; nonce: string | null; authTime: number; sid: string | null };
}

export function mintRefresh(
  ports: Pick<Ports, 'clock' | 'config'>,
  grantId: string,
  client: ClientState,
  sub: string,
  scope: string,
  familyExp: number | null,
  jkt?: string,
) {
  const token = mintSecret('tlrt');
  const now = epochSeconds(ports.clock);
  const data: RefreshIssuedEvent['data'] = {
    grantId,
    jti: uuidv7(),
    tokenHash: sha256(token),
    clientId: client.clientId,
    sub,
    scope,
    iat: now,
    familyExp: familyExp ?? now + ports.config.refreshTokenAbsoluteSeconds,
    exp: 0,
  };
  if (jkt !== undefined) data.jkt = jkt;
  data.exp = Math.min(now + ports.config.refreshTokenIdleSeconds, data.familyExp);
  return { token, data };
}

/**
 * A disabled user's grants give nothing, whatever the grant stream says: UserDisabled is the fact,
 * and the GrantRevoked records that follow it may still be on their way (or cut short by a crash).
 * Checked before anything is minted or written; returns the user's revocation count for
 * `refuseIfRaced`.
 */
export function refuseIfUserDisabled(ports: Pick<Ports, 'views'>, sub: string): number {
  const user = userBySub(ports.views, sub);
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
  ports: Pick<Ports, 'cache' | 'events' | 'views'>,
  grantId: string,
  sub: string,
  seen: number,
  ctx: CommandContext,
): Promise<void> {
  if ((userBySub(ports.views, sub)?.revocations ?? 0) === seen) return;
  await runOnGrant(
    ports,
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

/**
 * A grant's access token, for the resources asked for now among those its code was issued for (RFC 8707), bound to
 * the DPoP key `jkt` when given (RFC 9449 §6).
 */
export function mintGrantAccess(
  ports: Pick<Ports, 'clock' | 'config' | 'keys'>,
  grantType: 'authorization_code' | 'refresh_token',
  grant: { grantId: string; client: ClientState; sub: string; scope: string },
  resource: { asked: string[]; granted: string[] },
  jkt: string | undefined,
): Promise<IssuedAccessToken> {
  const aud = grantAudience(resource.asked, resource.granted, ports.config.issuer);
  return mintAccessToken(ports, { ...grant, aud, grantType, jkt });
}

/**
 * Writes what a token request minted (the grant command carries its claims) and answers with the tokens, unless
 * the grant refuses: a reuse (whose events, revoking the grant, are written first), or a request that raced the
 * user's revocation (`revocations`: the count `refuseIfUserDisabled` read before anything was minted).
 */
export async function recordGrantTokens(
  ports: Pick<Ports, 'cache' | 'events' | 'views'>,
  minted: {
    access: IssuedAccessToken;
    refresh: { token: string } | null;
    idToken: { token: string } | null;
    grant: GrantTokens['grant'];
  },
  command: GrantCommand,
  ctx: CommandContext,
  { used, revocations }: { used: string; revocations: number },
): Promise<GrantTokens> {
  const { grantId, sub } = minted.grant;
  const events = await runOnGrant(ports, grantId, command, ctx);
  refuseIfReuse(events, used);
  await refuseIfRaced(ports, grantId, sub, revocations, ctx);
  return {
    access: minted.access,
    refreshToken: minted.refresh?.token ?? null,
    idToken: minted.idToken?.token ?? null,
    grant: minted.grant,
  };
}

const ID_TOKEN_SECONDS = 3600;

export const includesOpenid = (scope: string) => scope.split(' ').includes('openid');

/** Who authenticated, when and how: what an ID token asserts, taken from the grant's code. */
type Authentication = Pick<CodeIssuedEvent['data'], 'sub' | 'authTime' | 'nonce' | 'sid' | 'amr'>;

/**
 * An ID token for an `openid` grant (OIDC Core §2), signed RS256 unless the client registered ES256.
 * `auth_time` is always the original login's, also when minted again on refresh (OIDC Core §12.2).
 */
export async function mintIdToken(
  ports: Pick<Ports, 'clock' | 'config' | 'keys'>,
  grantId: string,
  client: ClientState,
  issued: Authentication,
  accessToken: string,
  /** The scope granted with it: the operator roles among it are the `roles` claim. */
  scope = '',
) {
  // FAPI 2.0 §5.4: RS256 is not among the profile's algorithms; ES256 is what this server signs with instead.
  const fallback = fapi2Applies(client.metadata, ports.config.profile) ? 'ES256' : 'RS256';
  const alg = client.metadata.id_token_signed_response_alg ?? fallback;
  const key = await ports.keys.signingKey(alg);
  if (!key) throw new NoSigningKeyError(`no ${alg} signing key is active`);
  const now = epochSeconds(ports.clock);
  const jti = uuidv7();
  const roles = rolesInScope(scope);
  const token = signIdToken(
    {
      iss: ports.config.issuer,
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
      ...(roles.length > 0 ? { roles } : {}),
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

/** The OpenID login a grant started from, or undefined when it was no OpenID authentication. */
export function openidLogin(code: CodeIssuedEvent['data'] | undefined): CodeIssuedEvent['data'] | undefined {
  return code && includesOpenid(code.scope) && code.authTime > 0 ? code : undefined;
}

/**
 * The authorization request a grant started from (its code's claims). The code never changes once
 * written, so the folded state cached by the last command serves as well as reading the whole
 * (perhaps long-rotated) grant again.
 */
export async function grantCode(
  ports: Pick<Ports, 'cache' | 'events'>,
  grantId: string,
): Promise<CodeIssuedEvent['data'] | undefined> {
  return (
    ports.cache.get<GrantState>(grantStream(grantId))?.state.code ?? (await readGrant(ports, grantId)).code ?? undefined
  );
}

/** Reads a grant's code as issued (the token endpoint needs its claims to mint tokens). */
export async function readGrant(ports: Pick<Ports, 'events'>, grantId: string): Promise<GrantState> {
  const events = await ports.events.ledger.store.readStream(grantStream(grantId));
  return events.reduce((s, e) => evolveGrant(s, e as unknown as GrantEvent), initialGrant());
}
