import { refusalWithReasons } from '../refusal.js';
import type { ClientEvent, ClientMetadata, ClientRegistration, SecretHash } from './events.js';
import { checkAccessTokenTtl, checkClientMetadata, type ClientLimits } from './metadataRules.js';
import { checkFapi2Metadata, fapi2Applies } from './securityProfile.js';
import type { ClientStreamState } from './state.js';

export type ClientCommand =
  | {
      type: 'RegisterClient';
      clientId: string;
      metadata: ClientMetadata;
      secret: SecretHash | null;
      registration?: ClientRegistration;
    }
  | { type: 'UpdateClient'; clientId: string; metadata: ClientMetadata }
  | { type: 'RotateClientSecret'; clientId: string; secret: SecretHash }
  | { type: 'DisableClient'; clientId: string };

/**
 * RFC 7591 §3.2.2 has one code for a registration it refuses; a client that is not there, or disabled, is
 * invalid_client.
 */
const CLIENT_REFUSAL = {
  client_exists: 'invalid_client_metadata',
  client_not_found: 'invalid_client',
  client_disabled: 'invalid_client',
  invalid_client_metadata: 'invalid_client_metadata',
} as const;

export class ClientCommandError extends refusalWithReasons('ClientCommandError', CLIENT_REFUSAL) {}

export function decideClient(
  command: ClientCommand,
  state: ClientStreamState,
  limits: ClientLimits = {},
): ClientEvent[] {
  if (command.type === 'RegisterClient') {
    if (state) throw new ClientCommandError('client_exists', `client ${command.clientId} already exists`);
    checkClientMetadata(command.metadata, command.secret !== null);
    if (fapi2Applies(command.metadata, limits.profile ?? 'default')) checkFapi2Metadata(command.metadata);
    checkAccessTokenTtl(command.metadata.access_token_ttl, limits);
    return [
      {
        type: 'ClientRegistered',
        data: {
          clientId: command.clientId,
          metadata: command.metadata,
          secret: command.secret,
          ...(command.registration && { registration: command.registration }),
        },
      },
    ];
  }
  if (!state) throw new ClientCommandError('client_not_found', `client ${command.clientId} does not exist`);
  if (state.disabled) throw new ClientCommandError('client_disabled', `client ${command.clientId} is disabled`);
  switch (command.type) {
    case 'UpdateClient': {
      // A client that becomes confidential keeps (or needs) a secret; one that becomes public drops it from use.
      checkClientMetadata(command.metadata, state.secret !== null);
      if (fapi2Applies(command.metadata, limits.profile ?? 'default')) checkFapi2Metadata(command.metadata);
      checkAccessTokenTtl(command.metadata.access_token_ttl, limits, state.metadata.access_token_ttl);
      return [{ type: 'ClientUpdated', data: { clientId: command.clientId, metadata: command.metadata } }];
    }
    case 'RotateClientSecret':
      if (
        state.metadata.token_endpoint_auth_method === 'none' ||
        state.metadata.token_endpoint_auth_method === 'private_key_jwt'
      ) {
        throw new ClientCommandError(
          'invalid_client_metadata',
          `client ${command.clientId} does not authenticate with a secret`,
        );
      }
      return [{ type: 'ClientSecretRotated', data: { clientId: command.clientId, secret: command.secret } }];
    case 'DisableClient':
      return [{ type: 'ClientDisabled', data: { clientId: command.clientId } }];
  }
}
