import type { ClientMetadata } from '../clients/events.js';
import { checkRegistrationPolicy, type RegistrationPolicy } from './policy.js';
import { checkSelfRegistration } from './selfRegistration.js';

/**
 * A client ID metadata document registers a client for whoever controls a URL, as /register does for whoever calls it:
 * the same limits hold (no operator scope, the server's registration policy). A document cannot ask for a token
 * lifetime (that is the server's setting), so a policy's maxAccessTokenTtl caps the default rather than refusing
 * every document. Returns the metadata to record; throws ClientMetadataError.
 */
export function documentRegistration(policy: RegistrationPolicy, metadata: ClientMetadata): ClientMetadata {
  checkSelfRegistration(metadata);
  const cap = policy.maxAccessTokenTtl;
  const held = cap !== undefined && metadata.access_token_ttl > cap ? { ...metadata, access_token_ttl: cap } : metadata;
  checkRegistrationPolicy(policy, held);
  return held;
}
