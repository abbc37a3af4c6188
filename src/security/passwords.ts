import { randomBytes, timingSafeEqual } from 'node:crypto';
import { UserCommandError } from '../domain/users/decide.js';
import type { PasswordHash } from '../domain/users/events.js';
import { scryptHash } from './slowHash.js';

/** scrypt N=2^15, r=8, p=1: ≈32 MiB and tens of ms per guess (OWASP's minimum for scrypt). */
export const PASSWORD_SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/** NIST SP 800-63B §5.1.1.2: at least 8 characters; a generous maximum so passphrases fit. */
const PASSWORD_MIN_LENGTH = 8;
const PASSWORD_MAX_LENGTH = 1024;

/**
 * Verified in place of a missing user's hash, with the same parameters, so that a login for an
 * unknown username costs what a login for a known one does (no user enumeration by timing).
 * Random bytes, not the hash of anything: no password matches it.
 */
export const DUMMY_HASH: PasswordHash = {
  alg: 'scrypt',
  salt: 'oc4ME4Tmdo2umhMOjVvSdg',
  hash: 'bEneNMnh6VJpPJ3yTaWbqkXUsN_urjldsyQlFkFiFso',
  ...PASSWORD_SCRYPT,
};

/** Unicode passwords are compared in NFKC (NIST SP 800-63B), so the same keystrokes always match. */
const normalise = (pw: string) => pw.normalize('NFKC');
const characters = (pw: string) => [...pw].length;

/** Throws UserCommandError('invalid_user') for a password the policy refuses. */
export function checkPasswordPolicy(password: string): void {
  const n = characters(normalise(password));
  if (n < PASSWORD_MIN_LENGTH)
    throw new UserCommandError(
      'invalid_user',
      `password is too short: expected at least ${PASSWORD_MIN_LENGTH} characters`,
    );
  if (n > PASSWORD_MAX_LENGTH)
    throw new UserCommandError(
      'invalid_user',
      `password is too long: expected at most ${PASSWORD_MAX_LENGTH} characters`,
    );
}

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return scryptHash(normalise(password), salt, params, KEY_LENGTH);
}

/** A fresh 16-byte salt and scrypt(N=2^15, r=8, p=1); refuses a password the policy refuses. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  checkPasswordPolicy(password);
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, PASSWORD_SCRYPT);
  return { alg: 'scrypt', salt: salt.toString('base64url'), hash: hash.toString('base64url'), ...PASSWORD_SCRYPT };
}

/**
 * Whether `password` matches `stored`. With `stored` undefined (no such user) the same work is done
 * against DUMMY_HASH and the answer is false: callers pass `user?.passwordHash` and need no branch.
 */
export async function verifyPassword(password: string, stored: PasswordHash | undefined): Promise<boolean> {
  const target = stored ?? DUMMY_HASH;
  // No password this long was ever accepted; refusing it early says nothing about the user.
  if (password.length > PASSWORD_MAX_LENGTH * 4) return false;
  const derived = await derive(password, Buffer.from(target.salt, 'base64url'), target);
  const expected = Buffer.from(target.hash, 'base64url');
  const same = derived.length === expected.length && timingSafeEqual(derived, expected);
  return same && stored !== undefined;
}

/** A stored hash weaker than today's parameters: re-hash it after the next successful login. */
export function needsRehash(stored: PasswordHash): boolean {
  return (
    stored.alg !== 'scrypt' ||
    stored.N < PASSWORD_SCRYPT.N ||
    stored.r < PASSWORD_SCRYPT.r ||
    stored.p < PASSWORD_SCRYPT.p
  );
}
