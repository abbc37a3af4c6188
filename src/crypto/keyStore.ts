import type { KeyObject } from 'node:crypto';
import { publishedKeysAt, signingKeyAt, type Alg, type KeyringState } from '../domain/keyring/state.js';
import { decryptPrivateKey } from './keyMaterial.js';

export interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: KeyObject;
}

/**
 * Signing keys as the keys view describes them, decrypted once per key and kept in memory.
 * Reads the view on every call, so a rotation appended by the CLI or another instance is used as
 * soon as the view has it.
 */
export class KeyStore {
  private readonly decrypted = new Map<string, Promise<KeyObject>>();

  constructor(
    private readonly view: () => KeyringState,
    private readonly secret: string,
  ) {}

  /** The key that signs for `alg` now; undefined only before the first key exists. */
  async signingKey(alg: Alg, now = Date.now()): Promise<SigningKey | undefined> {
    const record = signingKeyAt(this.view(), alg, now);
    if (!record) return undefined;
    return { kid: record.kid, alg, privateKey: await this.privateKey(record.kid) };
  }

  /** The JWKS document: keys about to sign, signing, and retired ones whose tokens may still be live. */
  jwks(now = Date.now()): { keys: Record<string, unknown>[] } {
    return { keys: publishedKeysAt(this.view(), now).map((k) => k.publicJwk) };
  }

  /**
   * Decrypts every key that may still sign: proves the secret is right before the server says ready.
   * `state` may be the keyring read straight from the ledger, before the views exist: what is
   * decrypted then is kept (a key's ciphertext never changes), so the slow KDF runs once per key.
   */
  async unlockCurrentKeys(now = Date.now(), state = this.view()): Promise<void> {
    await Promise.all(
      [...state.keys.values()]
        .filter((k) => k.retiredAt === undefined || k.retiredAt > now)
        .map((k) => this.privateKey(k.kid, state)),
    );
  }

  private privateKey(kid: string, state?: KeyringState): Promise<KeyObject> {
    let p = this.decrypted.get(kid);
    if (!p) {
      const record = (state ?? this.view()).keys.get(kid);
      if (!record) return Promise.reject(new Error(`unknown signing key ${kid}`));
      p = decryptPrivateKey(kid, record.encryptedPrivateKey, this.secret);
      p.catch(() => this.decrypted.delete(kid));
      this.decrypted.set(kid, p);
    }
    return p;
  }
}
