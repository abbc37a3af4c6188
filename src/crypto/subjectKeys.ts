import { Refusal } from '../domain/refusal.js';
import { newSubjectKey, subjectKeyWrapping } from './personalData.js';

/**
 * Where per-subject keys live: outside the append-only ledger, so that one can be destroyed (erasure)
 * while every event it sealed stays, hashed and chained, as unreadable ciphertext.
 */
export interface SubjectKeys {
  /** The subject's key, made and stored first if it has none; refused for an erased subject. */
  obtain(sub: string): Promise<Uint8Array>;
  /** The keys of these subjects that exist: an erased or unknown subject is absent. */
  load(subs: readonly string[]): Promise<Map<string, Uint8Array>>;
  /** Forgets the key for good (idempotent); a tombstone stays so that no key is ever made again. */
  destroy(sub: string): Promise<void>;
  close(): Promise<void>;
}

/** A subject key asked for after its erasure: a bug, as nothing writes about an erased subject's profile. */
class SubjectErasedError extends Error {
  override readonly name = 'SubjectErasedError';
  constructor(sub: string) {
    super(`subject ${sub} is erased: its key is gone for good`);
  }
}

/** As for signing keys: a wrong secret is said so, never read as "erased". */
class SubjectKeyUnwrapError extends Refusal {
  override readonly name = 'SubjectKeyUnwrapError';
  constructor(sub: string) {
    super(
      'server_error',
      `the key of subject ${sub} cannot be unwrapped: KEY_ENCRYPTION_SECRET is not the one it was wrapped with`,
      { status: 500 },
    );
  }
}

/** One row per subject: the wrapped key, or null once erased. */
export interface SubjectKeyRows {
  /** Inserts unless a row exists; answers the row now there (null: erased). */
  insertOrGet(sub: string, wrapped: string): Promise<string | null>;
  select(subs: readonly string[]): Promise<Map<string, string | null>>;
  tombstone(sub: string): Promise<void>;
  /** Every row, for moving the keys with an export (still wrapped). */
  all(): Promise<Array<[sub: string, wrapped: string | null]>>;
  close(): Promise<void>;
}

/** A store's rows, wrapped and unwrapped under the server's key-encryption secret. */
export function wrappedSubjectKeys(rows: SubjectKeyRows, secret: string): SubjectKeys {
  const wrapping = subjectKeyWrapping(secret);
  const unwrap = (sub: string, wrapped: string): Uint8Array => {
    try {
      return wrapping.unwrap(sub, wrapped);
    } catch {
      throw new SubjectKeyUnwrapError(sub);
    }
  };
  return {
    async obtain(sub) {
      const wrapped = await rows.insertOrGet(sub, wrapping.wrap(sub, newSubjectKey()));
      if (wrapped === null) throw new SubjectErasedError(sub);
      return unwrap(sub, wrapped);
    },
    async load(subs) {
      const keys = new Map<string, Uint8Array>();
      for (const [sub, wrapped] of await rows.select(subs)) if (wrapped !== null) keys.set(sub, unwrap(sub, wrapped));
      return keys;
    },
    destroy: (sub) => rows.tombstone(sub),
    close: () => rows.close(),
  };
}
