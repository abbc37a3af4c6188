import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretHash } from '../domain/clients/events.js';
import { sha256 } from '../crypto/hash.js';
import { scryptHash } from './slowHash.js';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };

/** 256 bits from the CSPRNG, base64url: the secret the CLI generates when none is given. */
export const generateClientSecret = (): string => randomBytes(32).toString('base64url');

/** A generated secret → SHA-256; an operator's own choice → scrypt, since it may be guessable. */
export async function hashClientSecret(secret: string, generated: boolean): Promise<SecretHash> {
  if (generated) return { alg: 'sha256', hash: sha256(secret) };
  const salt = randomBytes(16);
  const hash = await scryptHash(secret, salt, SCRYPT);
  return { alg: 'scrypt', salt: salt.toString('base64url'), hash: hash.toString('base64url'), ...SCRYPT };
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The sha256 check, synchronous: a client with a generated secret never waits for a promise. */
function matchesSha256(presented: string, stored: { hash: string }): boolean {
  return equal(Buffer.from(sha256(presented)), Buffer.from(stored.hash));
}

async function matches(presented: string, stored: SecretHash): Promise<boolean> {
  if (stored.alg === 'sha256') return matchesSha256(presented, stored);
  const derived = await scryptHash(presented, Buffer.from(stored.salt, 'base64url'), stored);
  return equal(derived, Buffer.from(stored.hash, 'base64url'));
}

/** What client authentication asks of a verifier: the endpoints bind ClientSecretVerifier to a request's throttle. */
export interface SecretCheck {
  check(clientId: string, presented: string, stored: SecretHash): boolean | Promise<boolean>;
}

/**
 * Verifies presented secrets. A slow hash must not sit on the token path, so a success is remembered
 * under a keyed hash of (client, stored hash, presented secret), with a key that never leaves this
 * process: a rotation changes the stored hash and so forgets it; nothing here can recover a secret.
 * The keyed hash is SHA3-256 over key ‖ message, a MAC as it stands (a sponge has no length
 * extension, the reason HMAC wraps SHA-2), computed in one call: a third of an HMAC's cost on a path
 * every authenticated request takes.
 */
export class ClientSecretVerifier {
  private readonly key = `${randomBytes(32).toString('base64url')}\0`;
  private readonly remembered = new Set<string>();
  /** Checks under way: a burst of requests with one new secret pays the slow hash once, not per request. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private static readonly MAX_REMEMBERED = 100_000;

  /**
   * Whether `presented` is the client's secret: a value whenever no slow hash is needed (a generated
   * secret, or one this process verified before), so the usual request builds no promise at all; a
   * promise otherwise.
   */
  check(
    clientId: string,
    presented: string,
    stored: SecretHash,
    admit?: () => Promise<void>,
  ): boolean | Promise<boolean> {
    if (stored.alg === 'sha256') return matchesSha256(presented, stored);
    const mark = hash('sha3-256', `${this.key}${clientId}\0${stored.hash}\0${presented}`, 'base64url');
    if (this.remembered.has(mark)) return true;
    return this.slowCheck(mark, presented, stored, admit);
  }

  /**
   * `admit`: the throttle's admission, awaited before the slow hash runs (it throws when the
   * attempt is refused). A request presenting the same secret as a check under way joins it: one
   * guess, one hash, no second admission.
   */
  private async slowCheck(
    mark: string,
    presented: string,
    stored: SecretHash,
    admit?: () => Promise<void>,
  ): Promise<boolean> {
    let check = this.inFlight.get(mark);
    if (!check) {
      check = (admit ? admit().then(() => matches(presented, stored)) : matches(presented, stored)).finally(() =>
        this.inFlight.delete(mark),
      );
      this.inFlight.set(mark, check);
    }
    if (!(await check)) return false;
    if (this.remembered.size >= ClientSecretVerifier.MAX_REMEMBERED) this.remembered.clear();
    this.remembered.add(mark);
    return true;
  }
}
