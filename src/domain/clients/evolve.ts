import type { ClientEvent } from './events.js';
import type { ClientStreamState } from './state.js';

/** `at` is the event's recorded time, in ms. */
export function evolveClient(state: ClientStreamState, event: ClientEvent, at = 0): ClientStreamState {
  switch (event.type) {
    case 'ClientRegistered':
      return {
        clientId: event.data.clientId,
        metadata: event.data.metadata,
        secret: event.data.secret,
        disabled: false,
        registeredAt: at,
        updatedAt: at,
        ...(event.data.registration && { registration: event.data.registration }),
        ...(event.data.registrationTokenHash && { registrationTokenHash: event.data.registrationTokenHash }),
      };
    case 'ClientUpdated': {
      const document = event.data.document;
      return (
        state && {
          ...state,
          metadata: event.data.metadata,
          updatedAt: at,
          ...(document && { registration: { via: 'metadata_document', url: document.url, sha256: document.sha256 } }),
        }
      );
    }
    case 'ClientSecretRotated': {
      if (!state) return state;
      const { previousSecret: _replaced, previousSecretLastUsedAt: _used, ...rest } = state;
      const expiresAt = event.data.previousSecretExpiresAt;
      return {
        ...rest,
        secret: event.data.secret,
        updatedAt: at,
        ...(expiresAt !== undefined && state.secret && { previousSecret: { secret: state.secret, expiresAt } }),
      };
    }
    case 'ClientPreviousSecretUsed':
      return state && { ...state, previousSecretLastUsedAt: at };
    case 'ClientRegistrationTokenRotated':
      return state && { ...state, registrationTokenHash: event.data.registrationTokenHash, updatedAt: at };
    case 'ClientDisabled':
      return state && { ...state, disabled: true, updatedAt: at };
    case 'ClientDeleted':
      return state && { ...state, disabled: true, deleted: true, updatedAt: at };
  }
}
