import { sha256 } from '../../crypto/hash.js';

/** A client assertion's jti, per client (RFC 7523 §3: a jti is unique per issuer), hashed to bound its length. */
export const assertionJtiHash = (clientId: string, jti: string) => sha256(`${clientId}\0${jti}`);
export const assertionStream = (jtiHash: string) => `assertion-${jtiHash}`;
