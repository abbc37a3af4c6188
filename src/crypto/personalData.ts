import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { normaliseUsername } from '../domain/users/decide.js';

/** What views, replay, GraphQL and the CLI show for a field whose subject key was destroyed. */
export const ERASED = 'erased';

/** The personal data of a user, sealed together in one JWE per UserRegistered event. */
export interface PersonalData {
  username: string;
  email?: string;
  name?: string;
}

// Distinct labels, so no derived key ever doubles as another (nor as the login throttle's, which uses its own).
const derive = (secret: string, info: string): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, 'token-ledger', info, 32));

/**
 * The keyed form of a username that names its claim stream and finds it at login. Unkeyed, a hash of a
 * username is one dictionary away from the name; keyed, the ledger alone gives nothing away.
 */
export function usernameKeyer(secret: string): (username: string) => string {
  const key = derive(secret, 'username lookup');
  return (username) => createHmac('sha256', key).update(normaliseUsername(username)).digest('hex');
}

/**
 * Subject keys are kept wrapped under a key derived from the key-encryption secret: a copy of the key
 * table alone opens nothing. The sub is bound as associated data, so a row moved to another sub fails.
 */
export function subjectKeyWrapping(secret: string) {
  const kek = derive(secret, 'subject key wrapping');
  return {
    wrap(sub: string, key: Uint8Array): string {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', kek, iv).setAAD(Buffer.from(sub));
      const body = Buffer.concat([c.update(key), c.final()]);
      return [iv, body, c.getAuthTag()].map((b) => b.toString('base64url')).join('.');
    },
    unwrap(sub: string, wrapped: string): Uint8Array {
      const [iv, body, tag] = wrapped.split('.').map((s) => Buffer.from(s, 'base64url'));
      const d = createDecipheriv('aes-256-gcm', kek, iv).setAAD(Buffer.from(sub)).setAuthTag(tag);
      return Buffer.concat([d.update(body), d.final()]);
    },
  };
}

export const newSubjectKey = (): Uint8Array => randomBytes(32);

const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

/**
 * A compact JWE (RFC 7516 §7.1, `dir` + `A256GCM`) with the sub as kid, built with node:crypto so that
 * the ledger's readers can open it synchronously; any JOSE library (jose's compactDecrypt) opens it too.
 */
export function sealPersonalData(key: Uint8Array, sub: string, data: PersonalData): string {
  const header = b64u(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: sub }));
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(header, 'ascii'));
  const body = Buffer.concat([c.update(JSON.stringify(data), 'utf8'), c.final()]);
  return `${header}..${b64u(iv)}.${b64u(body)}.${b64u(c.getAuthTag())}`;
}

/** The sealed data, or undefined when it does not open with this key (tampered, or another subject's). */
export function openPersonalData(key: Uint8Array, jwe: string): PersonalData | undefined {
  const [header, , iv, body, tag] = jwe.split('.');
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      .setAAD(Buffer.from(header, 'ascii'))
      .setAuthTag(Buffer.from(tag, 'base64url'));
    const json = Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
    return JSON.parse(json) as PersonalData;
  } catch {
    return undefined;
  }
}
