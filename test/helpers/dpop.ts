import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { sha256 } from '../../src/crypto/hash.js';

export interface ProofKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
  jkt: string;
  alg: string;
}

/** A DPoP key pair (ES256 unless told), its public JWK and its RFC 7638 thumbprint. */
export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicKey, jwk, jkt: await calculateJwkThumbprint(jwk), alg };
}

export interface ProofOptions {
  htm?: string;
  htu: string;
  /** seconds; now unless told */
  iat?: number;
  jti?: string;
  accessToken?: string;
  ath?: string;
  nonce?: string;
  typ?: string | null;
  /** the jwk header, the key's public JWK unless told */
  jwk?: JWK | null;
  /** a header alg other than the key's (the signature is still made with the key's) */
  headerAlg?: string;
  claims?: Record<string, unknown>;
}

/** A DPoP proof (RFC 9449 §4.2) signed with `key`, every part overridable to build a bad one. */
export async function makeProof(key: ProofKey, o: ProofOptions): Promise<string> {
  const header: Record<string, unknown> = { alg: o.headerAlg ?? key.alg };
  if (o.typ !== null) header.typ = o.typ ?? 'dpop+jwt';
  if (o.jwk !== null) header.jwk = o.jwk ?? key.jwk;
  const payload: Record<string, unknown> = {
    jti: o.jti ?? randomUUID(),
    htm: o.htm ?? 'POST',
    htu: o.htu,
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    ...(o.accessToken ? { ath: sha256(o.accessToken) } : {}),
    ...(o.ath ? { ath: o.ath } : {}),
    ...(o.nonce ? { nonce: o.nonce } : {}),
    ...o.claims,
  };
  // SignJWT checks the header alg against the key: sign with the key's alg, then swap the header in if told.
  const signed = await new SignJWT(payload).setProtectedHeader({ ...header, alg: key.alg }).sign(key.privateKey);
  if (!o.headerAlg) return signed;
  const [, body, signature] = signed.split('.');
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${body}.${signature}`;
}

/** An unsigned (`alg: none`) or HMAC proof, which no verifier may accept. */
export function foreignAlgProof(alg: 'none' | 'HS256', jwk: JWK, htu: string): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = enc({ typ: 'dpop+jwt', alg, jwk });
  const body = enc({ jti: randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) });
  return `${head}.${body}.${alg === 'none' ? '' : 'c2lnbmF0dXJl'}`;
}
