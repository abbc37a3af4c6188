import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';

export const ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** An assertion may not live longer than this: it bounds how long a jti must be remembered. */
const MAX_ASSERTION_LIFETIME_S = 3600;

interface VerifiedAssertion {
  jti: string;
  exp: number;
}

/** The `iss` of an assertion, read without verifying it, to find whose keys verify it. */
export function assertionIssuer(assertion: string): string | undefined {
  try {
    const iss = decodeJwt(assertion).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 7523 §3 with RFC 7521 §5.2 checks: signed by one of the client's registered keys with an
 * asymmetric algorithm (never `none`, never HMAC), iss = sub = client_id, aud naming this server,
 * unexpired, with a jti. Throws a message for the error description otherwise.
 */
export async function verifyClientAssertion(
  assertion: string,
  clientId: string,
  jwks: JSONWebKeySet,
  audiences: string[],
  nowSeconds: number,
): Promise<VerifiedAssertion> {
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      issuer: clientId,
      subject: clientId,
      audience: audiences,
      algorithms: ASSERTION_ALGS,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(nowSeconds * 1000),
      clockTolerance: 5,
    }));
  } catch (err) {
    throw new Error(`client assertion rejected: ${(err as Error).message}`);
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0)
    throw new Error('client assertion rejected: jti missing');
  if (payload.exp! - nowSeconds > MAX_ASSERTION_LIFETIME_S)
    throw new Error('client assertion rejected: exp is too far in the future');
  return { jti: payload.jti, exp: payload.exp! };
}
