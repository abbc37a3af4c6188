import { sha256 } from '../../crypto/hash.js';

/** A client assertion's jti, per client (RFC 7523 §3: a jti is unique per issuer), hashed to bound its length. */
export const assertionJtiHash = (clientId: string, jti: string) => sha256(`${clientId}\0${jti}`);
/**
 * A jti of another kind of one-time JWT, per issuer. JSON keeps the parts apart whatever they contain, and its
 * leading `[` is no client id's first character: no collision with a client assertion's hash.
 */
export const oneTimeJtiHash = (kind: 'dpop' | 'request_object', issuer: string, jti: string) =>
  sha256(JSON.stringify([kind, issuer, jti]));
export const assertionStream = (jtiHash: string) => `assertion-${jtiHash}`;
