import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { TrustedIssuer } from '../config/softwareStatementIssuers.js';
import { OAuthError } from './errors.js';

/** Asymmetric JWS algorithms only: never none, never HMAC (the issuer's keys are public). */
const STATEMENT_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Clock skew allowed between the statement's issuer and this server. */
const TOLERANCE_SECONDS = 60;
/** JWT claims that say how the statement was made, not what the client is: they are not metadata. */
const JWT_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'];

const invalid = (why: string) => new OAuthError(400, 'invalid_software_statement', why);
const unapproved = (why: string) => new OAuthError(400, 'unapproved_software_statement', why);

/** What a verified statement says: its issuer, and the metadata it vouches for (over the request's own). */
interface VerifiedStatement {
  iss: string;
  metadata: Record<string, unknown>;
}

/**
 * RFC 7591 §2.3: software statements, verified with the keys of the issuers the operator trusts
 * (SOFTWARE_STATEMENT_ISSUERS_FILE). Malformed, badly signed, expired or not yet valid: invalid_software_statement;
 * well-formed from an issuer not trusted (or with no issuer trusted at all): unapproved_software_statement.
 */
export class SoftwareStatements {
  private readonly keys = new Map<string, ReturnType<typeof createLocalJWKSet>>();

  /** `audience`: this server's issuer; a statement with an `aud` must name it (one made for another server is not). */
  constructor(
    issuers: TrustedIssuer[],
    private readonly audience: string,
  ) {
    for (const { iss, jwks } of issuers) this.keys.set(iss, createLocalJWKSet(jwks));
  }

  /** `now` in seconds. */
  async verify(statement: unknown, now: number): Promise<VerifiedStatement> {
    if (this.keys.size === 0) throw unapproved('this server trusts no software statement issuer');
    if (typeof statement !== 'string' || statement.length === 0)
      throw invalid('software_statement must be a JWT string');
    let iss: unknown;
    try {
      iss = decodeJwt(statement).iss;
    } catch {
      throw invalid('software_statement is not a JWT');
    }
    if (typeof iss !== 'string') throw invalid('software_statement has no iss');
    const keys = this.keys.get(iss);
    if (!keys) throw unapproved('the software statement issuer is not trusted here');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(statement, keys, {
        issuer: iss,
        algorithms: STATEMENT_ALGS,
        currentDate: new Date(now * 1000),
        clockTolerance: TOLERANCE_SECONDS,
      }));
    } catch {
      throw invalid('the software statement signature or validity does not verify');
    }
    const aud = payload.aud;
    if (aud !== undefined && !(Array.isArray(aud) ? aud : [aud]).includes(this.audience))
      throw invalid('the software statement is for another server (aud)');
    if (typeof payload.iat === 'number' && payload.iat > now + TOLERANCE_SECONDS)
      throw invalid('the software statement is issued in the future');
    const metadata = Object.fromEntries(Object.entries(payload).filter(([claim]) => !JWT_CLAIMS.includes(claim)));
    return { iss, metadata };
  }
}
