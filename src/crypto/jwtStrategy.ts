import { sign } from 'node:crypto';
import type { SigningKey } from './keyStore.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Compact JWS signed with Node's crypto directly: synchronous and allocation-light on the issuance
 * hot path (jose stays in use for JWKS, verification and everything else). ES256 signatures are
 * raw r||s (RFC 7518 §3.4), not DER.
 */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: SigningKey): string {
  const input = `${b64({ ...header, alg: key.alg, kid: key.kid })}.${b64(payload)}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}
