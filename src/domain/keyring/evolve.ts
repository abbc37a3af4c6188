import type { KeyringEvent } from './events.js';
import type { KeyringState } from './state.js';

export function evolveKeyring(state: KeyringState, event: KeyringEvent): KeyringState {
  switch (event.type) {
    case 'SigningKeyGenerated': {
      const d = event.data;
      state.keys.set(d.kid, {
        kid: d.kid,
        alg: d.alg,
        publicJwk: d.publicJwk,
        encryptedPrivateKey: d.encryptedPrivateKey,
        activatesAt: Date.parse(d.activatesAt),
      });
      return state;
    }
    case 'SigningKeyRetired': {
      const key = state.keys.get(event.data.kid);
      if (key) {
        key.retiredAt = Date.parse(event.data.retiredAt);
        key.publishUntil = Date.parse(event.data.publishUntil);
      }
      return state;
    }
  }
}
