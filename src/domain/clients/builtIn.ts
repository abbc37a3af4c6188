import { decideClient } from './decide.js';
import type { ClientEvent, ClientMetadata } from './events.js';
import { metadataChanges } from './metadataChanges.js';
import type { ClientLimits } from './metadataRules.js';
import type { ClientStreamState } from './state.js';

/** A client the server itself keeps registered (the operator console's), made to match its metadata at each start. */
export interface EnsureBuiltInClient {
  type: 'EnsureBuiltInClient';
  clientId: string;
  metadata: ClientMetadata;
}

/**
 * Registered when absent, updated when its metadata differs (the issuer changed, a release changed the client),
 * nothing when it matches: each start writes at most one event, and concurrent starts agree. A client an operator
 * disabled or deleted stays so: that is how the built-in client is switched off by hand, and a start must not undo it.
 */
export function decideBuiltInClient(
  command: EnsureBuiltInClient,
  state: ClientStreamState,
  limits: ClientLimits,
): ClientEvent[] {
  const { clientId, metadata } = command;
  if (!state) return decideClient({ type: 'RegisterClient', clientId, metadata, secret: null }, state, limits);
  if (state.deleted || state.disabled) return [];
  if (Object.keys(metadataChanges(state.metadata, metadata)).length === 0) return [];
  return decideClient({ type: 'UpdateClient', clientId, metadata }, state, limits);
}
