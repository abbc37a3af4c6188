import { metadataChanges } from './metadataChanges.js';
import type { ClientEvent, ClientMetadata } from './events.js';
import { checkAccessTokenTtl, checkClientMetadata, type ClientLimits } from './metadataRules.js';
import { checkFapi2Metadata, fapi2Applies } from './securityProfile.js';
import type { ClientStreamState } from './state.js';
import { ClientCommandError } from './decide.js';

/** A client ID metadata document fetched and turned into metadata: what it says, and which bytes said it. */
export interface RecordMetadataDocument {
  type: 'RecordMetadataDocument';
  clientId: string;
  metadata: ClientMetadata;
  document: { url: string; sha256: string };
}

/**
 * The first document registers the client; a different one (another hash) updates it; the same one, or any for a
 * disabled client (it stays disabled: an operator's decision outlives the document), writes nothing. The metadata is
 * held to the rules of every registration. An id some other way registered is not taken over by a document.
 */
export function decideMetadataDocument(
  command: RecordMetadataDocument,
  state: ClientStreamState,
  limits: ClientLimits,
): ClientEvent[] {
  const { clientId, metadata, document } = command;
  const check = (previousTtl?: number) => {
    checkClientMetadata(metadata, false);
    if (fapi2Applies(metadata, limits.profile ?? 'default')) checkFapi2Metadata(metadata);
    checkAccessTokenTtl(metadata.access_token_ttl, limits, previousTtl);
  };
  if (!state) {
    check();
    const registration = { via: 'metadata_document' as const, ...document };
    return [{ type: 'ClientRegistered', data: { clientId, metadata, secret: null, registration } }];
  }
  if (state.deleted) throw new ClientCommandError('client_not_found', `client ${clientId} was deleted`);
  if (state.registration?.via !== 'metadata_document')
    throw new ClientCommandError('client_exists', `client ${clientId} was not registered by a metadata document`);
  if (state.disabled || state.registration.sha256 === document.sha256) return [];
  check(state.metadata.access_token_ttl);
  const changes = metadataChanges(state.metadata, metadata);
  return [{ type: 'ClientUpdated', data: { clientId, metadata, document, changes } }];
}
