import { sign, type KeyLike, type SignKeyObjectInput } from 'node:crypto';
import type { SigningKey } from './keyStore.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const signingInput = (header: Record<string, unknown>, payload: Record<string, unknown>, key: SigningKey) =>
  `${b64({ ...header, alg: key.alg, kid: key.kid })}.${b64(payload)}`;

/** ES256 signatures are raw r||s (RFC 7518 §3.4), not DER. */
const privateKey = (key: SigningKey): KeyLike | SignKeyObjectInput =>
  key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey;

/**
 * Compact JWS signed with Node's crypto directly: synchronous and allocation-light (jose stays in use
 * for JWKS, verification and everything else).
 */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: SigningKey): string {
  const input = signingInput(header, payload, key);
  return `${input}.${sign('sha256', Buffer.from(input), privateKey(key)).toString('base64url')}`;
}

/**
 * The same JWS, its signature computed on libuv's thread pool: the signature is most of an issuance's CPU
 * (ES256 about 40 µs, RS256 far more), and the event loop serves other requests meanwhile.
 */
export function signJwtOffThread(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: SigningKey,
): Promise<string> {
  const input = signingInput(header, payload, key);
  return new Promise((resolve, reject) =>
    sign('sha256', Buffer.from(input), privateKey(key), (err, signature) =>
      err ? reject(err) : resolve(`${input}.${signature.toString('base64url')}`),
    ),
  );
}
