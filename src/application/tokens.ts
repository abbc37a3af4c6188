import { epochSeconds } from './ports.js';
import { Unavailable } from '../domain/refusal.js';
import { v7 as uuidv7 } from 'uuid';
import type { AccessTokenIssuedEvent } from '../domain/tokens/events.js';
import type { ClientState } from '../domain/clients/state.js';
import { signJwtOffThread } from '../crypto/jwtStrategy.js';
import { mintOpaqueToken } from '../crypto/opaqueStrategy.js';
import { sha256 } from '../crypto/hash.js';
import { allocateStatusSlot, statusListUri, type StatusSlot } from '../crypto/statusList.js';
import type { Ports } from './ports.js';
import { exchangeClaims, type TokenExchangeClaims } from './exchangeClaims.js';

export class NoSigningKeyError extends Unavailable {
  override readonly name = 'NoSigningKeyError';
}

export interface AccessTokenRequest {
  client: ClientState;
  sub: string;
  scope: string;
  aud: string[];
  grantType: string;
  grantId?: string | null;
  /** The DPoP key thumbprint to bind the token to (RFC 9449 §6), when the request carried a proof. */
  jkt?: string;
  /** RFC 8693: a token exchanged for another carries its `act`, records what it came from, and ends no later. */
  exchange?: TokenExchangeClaims;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  claims: AccessTokenIssuedEvent['data'];
}

/** Mints an access token (RFC 9068 JWT or opaque, as the client is registered); nothing is written yet. */
export async function mintAccessToken(
  ports: Pick<Ports, 'clock' | 'config' | 'keys'>,
  req: AccessTokenRequest,
): Promise<IssuedAccessToken> {
  const now = epochSeconds(ports.clock);
  const { metadata } = req.client;
  const ttl = Math.min(metadata.access_token_ttl, ports.config.maxTokenLifetimeSeconds);
  const jti = uuidv7();
  const exp = Math.min(now + ttl, req.exchange?.notAfter ?? Infinity);
  let token: string;
  let kid: string | null = null;
  let statusList: StatusSlot | undefined;
  if (metadata.access_token_format === 'jwt') {
    const key = await ports.keys.signingKey(metadata.access_token_signing_alg);
    if (!key) throw new NoSigningKeyError(`no ${metadata.access_token_signing_alg} signing key is active`);
    kid = key.kid;
    // Its bit in a Token Status List: a resource server learns of a revocation without introspection.
    statusList = allocateStatusSlot(now);
    const payload: Record<string, unknown> = {
      iss: ports.config.issuer,
      sub: req.sub,
      aud: req.aud.length === 1 ? req.aud[0] : req.aud,
      exp,
      iat: now,
      jti,
      client_id: req.client.clientId,
      scope: req.scope,
      status: { status_list: { idx: statusList.idx, uri: statusListUri(ports.config.issuer, statusList.id) } },
      ...(req.exchange?.act ? { act: req.exchange.act } : {}),
    };
    // RFC 9449 §6.1: a bound token names its key; a bearer token's payload is built exactly as before.
    if (req.jkt !== undefined) payload.cnf = { jkt: req.jkt };
    token = await signJwtOffThread({ typ: 'at+jwt' }, payload, key);
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
    ...exchangeClaims(req.exchange),
  };
  if (req.jkt !== undefined) claims.jkt = req.jkt;
  return { token, expiresIn: exp - now, claims };
}
