import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { ASSERTION_ALGS } from '../crypto/clientAssertion.js';
import { FAPI2_ALGS } from '../domain/clients/securityProfile.js';
import type { ClientState } from '../domain/clients/state.js';
import { OAuthError } from './errors.js';

/**
 * How long a request object may be valid: `nbf` no older than this, and `exp` no further than this from `nbf` (from
 * now when there is no nbf). FAPI 2.0 Message Signing §5.3.1 and oidc-provider bound it so; it also bounds how long a
 * jti must be remembered.
 */
const MAX_REQUEST_OBJECT_LIFETIME_S = 3600;
/** RFC 9101 §4: the media type a request object's `typ` names, when it names one. */
const REQUEST_OBJECT_TYP = 'oauth-authz-req+jwt';
/** The JWT's own claims: not authorization request parameters. */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sub']);

export interface VerifiedRequestObject {
  /** The authorization request's parameters, as the request object carried them (the only ones that count). */
  params: Record<string, string | string[]>;
  jti: string;
  exp: number;
}

const invalidRequestObject = (description: string) => new OAuthError(400, 'invalid_request_object', description);

/** A claim's value as a form parameter: strings as they are, numbers written out, lists of strings kept. */
function asParam(value: unknown): string | string[] {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * RFC 9101 §6.3 and §10.8: a request object signed by one of the client's registered keys, with the algorithm the
 * client registered (any asymmetric one we support when it registered none; never `none`, never HMAC), `iss` the
 * client, `aud` this issuer, unexpired, with a jti and `client_id` the one the request was sent with. The jti is not
 * recorded here: the caller records it once the whole request was accepted.
 */
export async function verifyRequestObject(
  jwt: string,
  client: ClientState,
  issuer: string,
  nowSeconds: number,
  /** FAPI 2.0 §5.4: the profile's algorithms only, and an nbf required (the lifetime bound needs it). */
  fapi2 = false,
): Promise<VerifiedRequestObject> {
  const jwks = client.metadata.jwks;
  if (!jwks?.keys.length) throw invalidRequestObject('the client has no registered keys to verify a request object');
  let typ: string | undefined;
  try {
    typ = decodeProtectedHeader(jwt).typ;
  } catch {
    throw invalidRequestObject('request is not a signed JWT');
  }
  if (
    typ !== undefined &&
    String(typ)
      .toLowerCase()
      .replace(/^application\//, '') !== REQUEST_OBJECT_TYP
  )
    throw invalidRequestObject(`request object typ must be ${REQUEST_OBJECT_TYP}`);
  const registered = client.metadata.request_object_signing_alg;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: client.clientId,
      audience: issuer,
      algorithms: (registered ? [registered] : ASSERTION_ALGS).filter((a) => !fapi2 || FAPI2_ALGS.includes(a)),
      requiredClaims: fapi2 ? ['exp', 'jti', 'nbf'] : ['exp', 'jti'],
      currentDate: new Date(nowSeconds * 1000),
      // FAPI 2.0 §5.3.2.1: an iat or nbf up to 10 s ahead is accepted.
      clockTolerance: 10,
    }));
  } catch (err) {
    throw invalidRequestObject(`request object rejected: ${(err as Error).message}`);
  }
  const { exp, nbf, jti } = payload as { exp: number; nbf?: number; jti: unknown };
  if (typeof jti !== 'string' || jti.length === 0) throw invalidRequestObject('request object jti is missing');
  if (nbf !== undefined && nowSeconds - nbf > MAX_REQUEST_OBJECT_LIFETIME_S)
    throw invalidRequestObject('request object nbf is more than 60 minutes in the past');
  if (exp - (nbf ?? nowSeconds) > MAX_REQUEST_OBJECT_LIFETIME_S)
    throw invalidRequestObject('request object is valid for more than 60 minutes (exp - nbf)');
  if (payload.client_id !== client.clientId)
    throw invalidRequestObject('request object client_id must be the client_id of the request');
  if (payload.request !== undefined || payload.request_uri !== undefined)
    throw invalidRequestObject('a request object cannot hold request or request_uri');
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(payload)) if (!JWT_CLAIMS.has(key)) params[key] = asParam(value);
  return { params, jti, exp };
}
