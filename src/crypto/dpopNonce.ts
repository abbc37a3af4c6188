import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** A nonce is issued for the window it was made in and accepted in that window and the next: 5 to 10 minutes. */
export const DPOP_NONCE_WINDOW_S = 300;

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9) without state: a nonce is an HMAC of its time window under a key
 * derived from the key-encryption secret, so every instance sharing the ledger issues and accepts the same nonces,
 * across restarts, and nothing is written. The current window's value is computed once per window.
 */
export class DPoPNonces {
  private readonly key: Buffer;
  private window = -1;
  private current = '';
  private previous = '';

  constructor(keyEncryptionSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', keyEncryptionSecret, 'token-ledger', 'dpop-nonce', 32));
  }

  private valueOf(window: number): string {
    return createHmac('sha256', this.key).update(String(window)).digest().subarray(0, 18).toString('base64url');
  }

  private advance(nowSeconds: number): void {
    const window = Math.floor(nowSeconds / DPOP_NONCE_WINDOW_S);
    if (window === this.window) return;
    this.previous = window === this.window + 1 ? this.current : this.valueOf(window - 1);
    this.current = this.valueOf(window);
    this.window = window;
  }

  /** The nonce a client should use now (sent as `DPoP-Nonce`). */
  issue(nowSeconds: number): string {
    this.advance(nowSeconds);
    return this.current;
  }

  /** Whether `nonce` was issued in this window or the one before. */
  accepts(nonce: string, nowSeconds: number): boolean {
    this.advance(nowSeconds);
    const given = Buffer.from(nonce);
    return [this.current, this.previous].some((n) => {
      const expected = Buffer.from(n);
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}
