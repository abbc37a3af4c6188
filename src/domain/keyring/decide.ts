import { Refusal } from '../refusal.js';
import type { KeyringEvent } from './events.js';
import { hasKeyFrom, type Alg, type EncryptedKey, type KeyringState } from './state.js';

/** Key material made by the caller (key generation is I/O); the decider only decides what happens to it. */
export interface NewKeyMaterial {
  kid: string;
  alg: Alg;
  publicJwk: { kty: string } & Record<string, unknown>;
  encryptedPrivateKey: EncryptedKey;
}

export type KeyringCommand =
  | { type: 'EnsureSigningKeys'; now: number; generated: NewKeyMaterial[] }
  | { type: 'RotateSigningKey'; now: number; key: NewKeyMaterial; activatesAt: number; maxTokenLifetimeMs: number };

export class KeyringError extends Refusal {
  override readonly name = 'KeyringError';
  constructor(message: string) {
    super('invalid_request', message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function decideKeyring(command: KeyringCommand, state: KeyringState): KeyringEvent[] {
  switch (command.type) {
    case 'EnsureSigningKeys':
      // Only the algorithms that have no key, current or upcoming: another instance may have won the
      // race, and its keys may activate a few milliseconds after this command's `now`.
      return command.generated
        .filter((k) => !hasKeyFrom(state, k.alg, command.now))
        .map((k) => ({ type: 'SigningKeyGenerated', data: { ...k, activatesAt: iso(command.now) } }));
    case 'RotateSigningKey': {
      const { key, activatesAt, now, maxTokenLifetimeMs } = command;
      if (activatesAt < now) throw new KeyringError('a new key cannot activate in the past');
      if (state.keys.has(key.kid)) throw new KeyringError(`key ${key.kid} already exists`);
      const events: KeyringEvent[] = [{ type: 'SigningKeyGenerated', data: { ...key, activatesAt: iso(activatesAt) } }];
      // Every key of this algorithm still signing stops when the new one starts.
      for (const k of state.keys.values()) {
        if (k.alg !== key.alg || (k.retiredAt !== undefined && k.retiredAt <= activatesAt)) continue;
        events.push({
          type: 'SigningKeyRetired',
          data: { kid: k.kid, retiredAt: iso(activatesAt), publishUntil: iso(activatesAt + maxTokenLifetimeMs) },
        });
      }
      return events;
    }
  }
}
