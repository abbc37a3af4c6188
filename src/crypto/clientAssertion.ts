import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';

export const ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** An assertion may not live longer than this: it bounds how long a jti must be remembered. */
const MAX_ASSERTION_LIFETIME_S = 3600;

/** Narrower rules a security profile sets: fewer algorithms, and exactly one audience. */
export interface AssertionProfile {
  algorithms?: readonly string[];
  exactAudience?: string;
}

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
  profile: AssertionProfile = {},
): Promise<VerifiedAssertion> {
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      issuer: clientId,
      subject: clientId,
      audience: audiences,
      algorithms: [...(profile.algorithms ?? ASSERTION_ALGS)],
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(nowSeconds * 1000),
      // FAPI 2.0 §5.3.2.1: an iat or nbf up to 10 s ahead (a client's clock running fast) is accepted.
      clockTolerance: 10,
    }));
  } catch (err) {
    throw new Error(`client assertion rejected: ${(err as Error).message}`);
  }
  // FAPI 2.0 §5.3.2.1: the issuer identifier as a string, nothing else (no endpoint, no array an attacker can steer).
  if (profile.exactAudience !== undefined && payload.aud !== profile.exactAudience)
    throw new Error(
      `client assertion rejected: aud must be the issuer identifier ${profile.exactAudience}, as a string`,
    );
  if (typeof payload.jti !== 'string' || payload.jti.length === 0)
    throw new Error('client assertion rejected: jti missing');
  if (payload.exp! - nowSeconds > MAX_ASSERTION_LIFETIME_S)
    throw new Error('client assertion rejected: exp is too far in the future');
  return { jti: payload.jti, exp: payload.exp! };
}
