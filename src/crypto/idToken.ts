import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { SigningKey } from './keyStore.js';
import { signJwt } from './jwtStrategy.js';

/** OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url (RS256/ES256 both use SHA-256). */
export const atHash = (accessToken: string): string =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');

interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  auth_time: number;
  nonce?: string;
  azp: string;
  at_hash?: string;
  sid?: string;
  amr?: string[];
  /** The operator roles (ledger:admin, ledger:audit) the grant's scope carries, when it carries any. */
  roles?: string[];
  jti: string;
}

export function signIdToken(claims: IdTokenClaims, key: SigningKey): string {
  return signJwt({ typ: 'JWT' }, { ...claims }, key);
}

/**
 * An ID token this server signed, expired or not (RP-Initiated Logout §2: a hint may be stale).
 * `typ: JWT` and the ID token's own claims keep this server's other JWTs (access tokens are
 * `at+jwt`, logout tokens `logout+jwt`) from passing for one.
 */
export async function verifyIdTokenHint(
  hint: string,
  jwks: { keys: Record<string, unknown>[] },
  issuer: string,
): Promise<JWTPayload | undefined> {
  try {
    const { payload } = await jwtVerify(hint, createLocalJWKSet(jwks as { keys: never[] }), {
      issuer,
      algorithms: ['RS256', 'ES256'],
      typ: 'JWT',
      requiredClaims: ['sub', 'aud', 'auth_time', 'azp'],
      clockTolerance: 10 * 365 * 86_400,
    });
    return payload;
  } catch {
    return undefined;
  }
}
