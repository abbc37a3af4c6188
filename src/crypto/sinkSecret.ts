import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import type { Static } from '@sinclair/typebox';
import type { SealedSecret } from '../domain/sinks/events.js';
import { Refusal } from '../domain/refusal.js';

type Sealed = Static<typeof SealedSecret>;

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
// The signing keys' cost (src/crypto/keyMaterial.ts): paid once per sink per process, as it is per key.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * A webhook secret must be usable for HMAC, so it cannot be hashed: it is sealed under KEY_ENCRYPTION_SECRET, bound
 * to its sink's id (a ciphertext copied onto another sink fails to open).
 */
export async function sealSinkSecret(sinkId: string, secret: string, kek: string): Promise<Sealed> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await scryptAsync(kek, salt, 32, SCRYPT), iv);
  cipher.setAAD(Buffer.from(`sink:${sinkId}`));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return {
    enc: 'A256GCM',
    kdf: 'scrypt',
    salt: salt.toString('base64url'),
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
  };
}

export async function openSinkSecret(sinkId: string, sealed: Sealed, kek: string): Promise<string> {
  try {
    const key = await scryptAsync(kek, Buffer.from(sealed.salt, 'base64url'), 32, SCRYPT);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
    decipher.setAAD(Buffer.from(`sink:${sinkId}`));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64url')), decipher.final()]).toString();
  } catch {
    throw new Refusal('server_error', `sink ${sinkId}'s secret cannot be opened: KEY_ENCRYPTION_SECRET differs`, {
      status: 500,
    });
  }
}
