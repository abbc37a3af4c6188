import type { ClientMetadata } from './events.js';
import { ClientMetadataError } from './metadataRules.js';

/** The server-wide profile (PROFILE), or a client's own `security_profile`. */
export type ServerProfile = 'default' | 'fapi2';

/** FAPI 2.0 Security Profile §5.4.1: the only JWS algorithms (RS256 and HMAC are out). */
export const FAPI2_ALGS: readonly string[] = ['PS256', 'ES256', 'EdDSA'];

/** Whether the FAPI 2.0 Security Profile binds this client: the whole server runs it, or the client registered it. */
export const fapi2Applies = (metadata: Pick<ClientMetadata, 'security_profile'>, server: ServerProfile): boolean =>
  server === 'fapi2' || metadata.security_profile === 'fapi2';

const refuse = (why: string): never => {
  throw new ClientMetadataError('invalid_client_metadata', `FAPI 2.0 Security Profile: ${why}`);
};

/**
 * What a registration under the FAPI 2.0 Security Profile must say (§5.3.2.1, §5.4): a confidential client that
 * authenticates with private_key_jwt (mutual TLS is not offered), and only the profile's algorithms wherever the client
 * chooses one. What the profile asks of each request (PAR, DPoP, PKCE S256) is enforced where the request arrives.
 */
export function checkFapi2Metadata(m: ClientMetadata): void {
  if (m.token_endpoint_auth_method !== 'private_key_jwt')
    refuse(`token_endpoint_auth_method must be private_key_jwt, not ${m.token_endpoint_auth_method}`);
  if (m.access_token_format === 'jwt' && !FAPI2_ALGS.includes(m.access_token_signing_alg))
    refuse(`access_token_signing_alg must be one of ${FAPI2_ALGS.join(', ')}, not ${m.access_token_signing_alg}`);
  if (m.id_token_signed_response_alg !== undefined && !FAPI2_ALGS.includes(m.id_token_signed_response_alg))
    refuse(
      `id_token_signed_response_alg must be one of ${FAPI2_ALGS.join(', ')}, not ${m.id_token_signed_response_alg}`,
    );
  if (m.request_object_signing_alg !== undefined && !FAPI2_ALGS.includes(m.request_object_signing_alg))
    refuse(`request_object_signing_alg must be one of ${FAPI2_ALGS.join(', ')}, not ${m.request_object_signing_alg}`);
  if (m.dpop_bound_access_tokens === false)
    refuse('access tokens must be sender-constrained: dpop_bound_access_tokens cannot be false');
  if (m.require_pushed_authorization_requests === false)
    refuse('authorization requests must be pushed: require_pushed_authorization_requests cannot be false');
  // The authorization response carries the code only, by redirect (§5.3.2.2); a posted message is not a redirect.
  if (m.response_modes?.includes('web_message')) refuse('response_modes cannot include web_message');
}
