import { randomInt } from 'node:crypto';

/**
 * RFC 8628 §6.1: consonants only (no vowels: no words; no digits: nothing to confuse with letters), 20 of them;
 * eight characters give 20^8 ≈ 2.56 × 10^10 codes, shown as WDJB-MJHT.
 */
const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
export const USER_CODE_SPACE = ALPHABET.length ** USER_CODE_LENGTH;

export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** WDJB-MJHT: how the code is shown and typed. */
export const displayUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/**
 * What a person typed, as the code it means: case, dashes and spaces do not matter (RFC 8628 §6.1). Linear in the
 * input, and bounded before it is read: undefined when it cannot be a code at all.
 */
export function normalizeUserCode(typed: string): string | undefined {
  if (typed.length > 32) return undefined;
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const c of code) if (!ALPHABET.includes(c)) return undefined;
  return code;
}
