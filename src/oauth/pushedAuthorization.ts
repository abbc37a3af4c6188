import type { Config } from '../config/config.js';
import type { ClientState } from '../domain/clients/state.js';
import { fapi2Applies } from '../domain/clients/securityProfile.js';

/** RFC 9126 §2.2: the request_uri handed back by /par is this URN and a random reference. */
export const PAR_URN_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2: short-lived, as a code is; it is used by one browser redirect right after the push. */
export const PAR_LIFETIME_SECONDS = 60;

/**
 * RFC 9126 §5 and §6: whether this client's authorization requests must come through /par. The one place it is
 * decided, so that a profile that requires it (FAPI 2.0) is one more condition here.
 */
export function pushedRequestRequired(
  client: ClientState,
  config: Pick<Config, 'requirePushedAuthorizationRequests' | 'profile'>,
): boolean {
  return (
    config.requirePushedAuthorizationRequests ||
    client.metadata.require_pushed_authorization_requests === true ||
    // FAPI 2.0 Security Profile §5.3.2.2: authorization requests sent without PAR are rejected.
    fapi2Applies(client.metadata, config.profile)
  );
}
