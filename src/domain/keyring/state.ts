import type { Static } from '@sinclair/typebox';
import type { SigningAlg, SigningKeyGenerated } from './events.js';

export type Alg = Static<typeof SigningAlg>;
export type EncryptedKey = Static<typeof SigningKeyGenerated.schema>['encryptedPrivateKey'];

export interface KeyRecord {
  kid: string;
  alg: Alg;
  publicJwk: Record<string, unknown>;
  encryptedPrivateKey: EncryptedKey;
  activatesAt: number;
  retiredAt?: number;
  publishUntil?: number;
}

export interface KeyringState {
  keys: Map<string, KeyRecord>;
}

export const initialKeyring = (): KeyringState => ({ keys: new Map() });

/** The key that signs for `alg` at `now`: active, not retired, the most recently activated. */
export function signingKeyAt(state: KeyringState, alg: Alg, now: number): KeyRecord | undefined {
  let best: KeyRecord | undefined;
  for (const k of state.keys.values()) {
    if (k.alg !== alg || k.activatesAt > now) continue;
    if (k.retiredAt !== undefined && k.retiredAt <= now) continue;
    if (!best || k.activatesAt > best.activatesAt) best = k;
  }
  return best;
}

/**
 * Whether `alg` has a key that signs at `now` or will sign later without being retired first. A key
 * another instance generated a moment "after" this one's `now` (the two clocks read at different
 * moments of a concurrent first start) counts: it is the winner's key to adopt, not a gap to fill.
 */
export function hasKeyFrom(state: KeyringState, alg: Alg, now: number): boolean {
  for (const k of state.keys.values()) {
    if (k.alg === alg && (k.retiredAt === undefined || k.retiredAt > now)) return true;
  }
  return false;
}

/** Keys a verifier may meet at `now`: upcoming ones (published before they sign) and retired ones still in use. */
export function publishedKeysAt(state: KeyringState, now: number): KeyRecord[] {
  return [...state.keys.values()].filter((k) => k.publishUntil === undefined || k.publishUntil > now);
}
