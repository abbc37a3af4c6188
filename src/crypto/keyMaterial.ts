import { Refusal } from '../domain/refusal.js';
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  randomBytes,
  scrypt,
  type JsonWebKeyInput,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { NewKeyMaterial } from '../domain/keyring/decide.js';
import type { Alg, EncryptedKey } from '../domain/keyring/state.js';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
// 2^15 costs ~100 ms once per key per process: a stolen ledger costs an attacker that per guess.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

class KeyDecryptionError extends Refusal {
  override readonly name = 'KeyDecryptionError';
  constructor(message: string) {
    super('server_error', message, { status: 500 });
  }
}

function kek(secret: string, salt: Buffer): Promise<Buffer> {
  return scryptAsync(secret, salt, 32, SCRYPT);
}

/** A new signing key pair; the private half leaves this function only encrypted. */
export async function generateKeyMaterial(alg: Alg, secret: string): Promise<NewKeyMaterial> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const publicJwk = { ...pub, kid, alg, use: 'sig' } as NewKeyMaterial['publicJwk'];
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await kek(secret, salt), iv);
  // The kid is bound as associated data: a ciphertext moved onto another key's event fails to open.
  cipher.setAAD(Buffer.from(kid));
  const plaintext = Buffer.from(JSON.stringify(await exportJWK(privateKey)));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const encryptedPrivateKey: EncryptedKey = {
    enc: 'A256GCM',
    kdf: 'scrypt',
    salt: salt.toString('base64url'),
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
  };
  return { kid, alg, publicJwk, encryptedPrivateKey };
}

export async function decryptPrivateKey(kid: string, enc: EncryptedKey, secret: string): Promise<KeyObject> {
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      await kek(secret, Buffer.from(enc.salt, 'base64url')),
      Buffer.from(enc.iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(enc.tag, 'base64url'));
    const jwk = Buffer.concat([decipher.update(Buffer.from(enc.ciphertext, 'base64url')), decipher.final()]);
    return createPrivateKey({ key: JSON.parse(jwk.toString('utf8')) as JsonWebKeyInput['key'], format: 'jwk' });
  } catch {
    throw new KeyDecryptionError(
      `signing key ${kid} cannot be decrypted: KEY_ENCRYPTION_SECRET is not the one it was encrypted with`,
    );
  }
}
