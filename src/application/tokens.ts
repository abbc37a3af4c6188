import { v7 as uuidv7 } from 'uuid';
import { assertionDecider, AssertionReplayedError } from '../domain/assertions/decide.js';
import { assertionJtiHash, assertionStream } from '../domain/assertions/streams.js';
import { tokenDecider } from '../domain/tokens/decide.js';
import type { AccessTokenIssuedEvent } from '../domain/tokens/events.js';
import { tokenStream } from '../domain/tokens/streams.js';
import type { ClientState } from '../domain/clients/state.js';
import { execute, writePorts } from './execute.js';
import type { CommandContext } from '../ledger/ledger.js';
import { signJwt } from '../tokens/jwtStrategy.js';
import { mintOpaqueToken } from '../tokens/opaqueStrategy.js';
import { sha256 } from '../tokens/hash.js';
import { allocateStatusSlot, statusListUri, type StatusSlot } from '../tokens/statusList.js';
import type { Runtime } from '../runtime.js';

export class NoSigningKeyError extends Error {
  override readonly name = 'NoSigningKeyError';
}

export interface AccessTokenRequest {
  client: ClientState;
  sub: string;
  scope: string;
  aud: string[];
  grantType: string;
  grantId?: string | null;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  claims: AccessTokenIssuedEvent['data'];
}

/** Mints an access token (RFC 9068 JWT or opaque, as the client is registered); nothing is written yet. */
export async function mintAccessToken(rt: Runtime, req: AccessTokenRequest): Promise<IssuedAccessToken> {
  const now = Math.floor(Date.now() / 1000);
  const { metadata } = req.client;
  const ttl = Math.min(metadata.access_token_ttl, rt.config.maxTokenLifetimeSeconds);
  const jti = uuidv7();
  const exp = now + ttl;
  let token: string;
  let kid: string | null = null;
  let statusList: StatusSlot | undefined;
  if (metadata.access_token_format === 'jwt') {
    const key = await rt.keys.signingKey(metadata.access_token_signing_alg);
    if (!key) throw new NoSigningKeyError(`no ${metadata.access_token_signing_alg} signing key is active`);
    kid = key.kid;
    // Its bit in a Token Status List: a resource server learns of a revocation without introspection.
    statusList = allocateStatusSlot(now);
    const payload = {
      iss: rt.config.issuer,
      sub: req.sub,
      aud: req.aud.length === 1 ? req.aud[0] : req.aud,
      exp,
      iat: now,
      jti,
      client_id: req.client.clientId,
      scope: req.scope,
      status: { status_list: { idx: statusList.idx, uri: statusListUri(rt.config.issuer, statusList.id) } },
    };
    token = signJwt({ typ: 'at+jwt' }, payload, key);
  } else {
    token = mintOpaqueToken();
  }
  const claims: AccessTokenIssuedEvent['data'] = {
    jti,
    tokenHash: sha256(token),
    format: metadata.access_token_format,
    clientId: req.client.clientId,
    sub: req.sub,
    scope: req.scope,
    aud: req.aud,
    iat: now,
    exp,
    grantType: req.grantType,
    kid,
    grantId: req.grantId ?? null,
    ...(statusList ? { statusList } : {}),
  };
  return { token, expiresIn: ttl, claims };
}

/**
 * Mints an access token that belongs to no grant (client credentials), records it in the ledger by
 * hash, and returns once the active-token view holds it: the caller may introspect it at once.
 */
export async function issueAccessToken(
  rt: Runtime,
  req: AccessTokenRequest,
  ctx: CommandContext,
): Promise<IssuedAccessToken> {
  const issued = await mintAccessToken(rt, req);
  // A fresh UUIDv7 names a new stream: no need to read it first.
  await execute(
    writePorts(rt),
    tokenStream(issued.claims.jti),
    tokenDecider,
    { type: 'IssueAccessToken', token: issued.claims },
    ctx,
    {
      fresh: true,
    },
  );
  return issued;
}

/** Revokes a token by jti; returns whether anything was revoked (RFC 7009 answers 200 either way). */
export async function revokeToken(
  rt: Runtime,
  jti: string,
  requestedBy: { clientId: string } | { operator: string },
  reason: string,
  ctx: CommandContext,
): Promise<boolean> {
  const { events } = await execute(
    writePorts(rt),
    tokenStream(jti),
    tokenDecider,
    { type: 'RevokeToken', jti, requestedBy, reason },
    ctx,
  );
  return events.length > 0;
}

/** Records a client assertion's jti; false when it was recorded before (a replay). */
export async function rememberClientAssertion(
  rt: Runtime,
  clientId: string,
  jti: string,
  exp: number,
  ctx: CommandContext,
): Promise<boolean> {
  const jtiHash = assertionJtiHash(clientId, jti);
  try {
    // No view needs it before the answer: durable is enough.
    await execute(
      writePorts(rt),
      assertionStream(jtiHash),
      assertionDecider,
      { type: 'RecordClientAssertion', clientId, jtiHash, exp },
      ctx,
      {
        fresh: true,
        waitForViews: false,
      },
    );
    return true;
  } catch (err) {
    if (err instanceof AssertionReplayedError) return false;
    throw err;
  }
}
