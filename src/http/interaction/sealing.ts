import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Keys derived from KEY_ENCRYPTION_SECRET, which every instance shares: an interaction started on
 * one instance can be finished on another, with no server-side state to lose.
 */
export class InteractionKeys {
  private readonly sealKey: Buffer;
  private readonly csrfKey: Buffer;

  constructor(secret: string) {
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'token-ledger', info, 32));
    this.sealKey = derive('interaction seal');
    this.csrfKey = derive('csrf');
  }

  /** AES-256-GCM: the browser carries the pending authorization request but can neither read nor alter it. */
  seal(value: object): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  unseal<T>(sealed: string): T | undefined {
    try {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** The form's CSRF token: bound to the browser's binding cookie, which a cross-site page cannot read. */
  csrfToken(binding: string): string {
    return createHmac('sha256', this.csrfKey).update(binding).digest('base64url');
  }

  csrfValid(binding: string | undefined, presented: string | undefined): boolean {
    if (!binding || !presented) return false;
    const expected = Buffer.from(this.csrfToken(binding));
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
