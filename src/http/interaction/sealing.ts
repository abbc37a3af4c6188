import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../../crypto/hash.js';

/**
 * What a sealed payload is for. The purpose is the seal's associated data (AES-GCM AAD): a payload
 * sealed for one form does not open at another, so the logout confirmation posted to /login is a
 * forged form there, not a half-understood interaction.
 */
export type SealPurpose = 'login' | 'consent' | 'logout';

/** A sealed form payload carries the browser it belongs to and how long it is good for. */
interface FormSeal {
  /** Hash of the binding cookie: the form only continues in the browser that was shown it. */
  bid: string;
  exp: number;
}

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

  /** AES-256-GCM: the browser carries the pending request but can neither read nor alter it, nor use it elsewhere. */
  seal(purpose: SealPurpose, value: object): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  unseal<T>(purpose: SealPurpose, sealed: string): T | undefined {
    try {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** The hidden fields of a form: `value` sealed for `purpose` and this browser, and the CSRF token. */
  sealForm(
    purpose: SealPurpose,
    value: object,
    binding: string,
    seconds: number,
  ): { interaction: string; csrf: string } {
    const sealed: FormSeal = { ...value, bid: sha256(binding), exp: Math.floor(Date.now() / 1000) + seconds };
    return { interaction: this.seal(purpose, sealed), csrf: this.csrfToken(binding) };
  }

  /**
   * The sealed value of a posted form, if it is intact, for `purpose`, unexpired, and from the browser that was shown
   * it.
   */
  openForm<T extends object>(
    purpose: SealPurpose,
    body: unknown,
    binding: string | undefined,
  ): (T & FormSeal) | undefined {
    const fields = (body ?? {}) as Record<string, unknown>;
    if (!binding || typeof fields.csrf !== 'string' || !this.csrfValid(binding, fields.csrf)) return undefined;
    const opened =
      typeof fields.interaction === 'string' ? this.unseal<T & FormSeal>(purpose, fields.interaction) : undefined;
    if (!opened || typeof opened.exp !== 'number' || opened.exp <= Date.now() / 1000 || opened.bid !== sha256(binding))
      return undefined;
    return opened;
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
