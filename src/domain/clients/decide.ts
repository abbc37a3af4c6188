import { metadataChanges } from './metadataChanges.js';
import { timingSafeEqual } from 'node:crypto';
import { refusalWithReasons } from '../refusal.js';
import type { ClientEvent, ClientMetadata, ClientRegistration, SecretHash } from './events.js';
import { checkAccessTokenTtl, checkClientMetadata, type ClientLimits } from './metadataRules.js';
import { checkFapi2Metadata, fapi2Applies } from './securityProfile.js';
import type { ClientStreamState } from './state.js';
import { decideMetadataDocument, type RecordMetadataDocument } from './decideDocument.js';

export type ClientCommand =
  | {
      type: 'RegisterClient';
      clientId: string;
      metadata: ClientMetadata;
      secret: SecretHash | null;
      registration?: ClientRegistration;
      /** RFC 7592: SHA-256 of the registration access token handed to a self-registered client. */
      registrationTokenHash?: string;
    }
  | { type: 'UpdateClient'; clientId: string; metadata: ClientMetadata }
  /**
   * RFC 7592 §2.2: a self-registered client replaces its metadata with its registration access token (`presented`,
   * its hash), which is replaced by a new one (`next`): two updates made with the same token cannot both win.
   */
  | {
      type: 'UpdateRegisteredClient';
      clientId: string;
      metadata: ClientMetadata;
      presented: string;
      next: string;
      /** RFC 7592 PUT asking for a new secret: rotated in the same append as the update. */
      rotateSecret?: SecretRotation;
    }
  | ({ type: 'RotateClientSecret'; clientId: string } & SecretRotation)
  | { type: 'RecordPreviousSecretUse'; clientId: string; now: number }
  | { type: 'DisableClient'; clientId: string }
  | { type: 'DeleteClient'; clientId: string; reason: string }
  | RecordMetadataDocument;

interface SecretRotation {
  secret: SecretHash;
  /** How long the replaced secret keeps authenticating; 0: it stops at once. */
  graceSeconds: number;
  now: number;
}

/** A new secret for a client that authenticates with one; the replaced one works for the grace period. */
function secretRotated(clientId: string, metadata: ClientMetadata, current: SecretHash | null, r: SecretRotation) {
  if (metadata.token_endpoint_auth_method === 'none' || metadata.token_endpoint_auth_method === 'private_key_jwt')
    throw new ClientCommandError('invalid_client_metadata', `client ${clientId} does not authenticate with a secret`);
  return {
    type: 'ClientSecretRotated' as const,
    data: {
      clientId,
      secret: r.secret,
      ...(r.graceSeconds > 0 && current && { previousSecretExpiresAt: r.now + r.graceSeconds * 1000 }),
    },
  };
}

/**
 * RFC 7591 §3.2.2 has one code for a registration it refuses; a client that is not there, or disabled, is
 * invalid_client.
 */
const CLIENT_REFUSAL = {
  client_exists: 'invalid_client_metadata',
  client_not_found: 'invalid_client',
  client_disabled: 'invalid_client',
  invalid_client_metadata: 'invalid_client_metadata',
  registration_token_invalid: 'invalid_token',
} as const;

/** Compares two SHA-256 hashes in constant time. */
export function sameHash(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The metadata rules every registration and update is held to, whichever path it comes by. */
function checkMetadata(metadata: ClientMetadata, hasSecret: boolean, limits: ClientLimits, previousTtl?: number) {
  checkClientMetadata(metadata, hasSecret);
  if (fapi2Applies(metadata, limits.profile ?? 'default')) checkFapi2Metadata(metadata);
  checkAccessTokenTtl(metadata.access_token_ttl, limits, previousTtl);
}

/** How often a use of a replaced secret is recorded, at most, per client. */
const PREVIOUS_SECRET_USE_INTERVAL_MS = 3_600_000;

export class ClientCommandError extends refusalWithReasons('ClientCommandError', CLIENT_REFUSAL) {}

export function decideClient(
  command: ClientCommand,
  state: ClientStreamState,
  limits: ClientLimits = {},
): ClientEvent[] {
  if (command.type === 'RecordMetadataDocument') return decideMetadataDocument(command, state, limits);
  if (command.type === 'RegisterClient') {
    if (state) throw new ClientCommandError('client_exists', `client ${command.clientId} already exists`);
    checkMetadata(command.metadata, command.secret !== null, limits);
    return [
      {
        type: 'ClientRegistered',
        data: {
          clientId: command.clientId,
          metadata: command.metadata,
          secret: command.secret,
          ...(command.registration && { registration: command.registration }),
          ...(command.registrationTokenHash && { registrationTokenHash: command.registrationTokenHash }),
        },
      },
    ];
  }
  if (!state || state.deleted)
    throw new ClientCommandError('client_not_found', `client ${command.clientId} does not exist`);
  // A disabled client may still be deleted (pruning takes disabled ones too).
  if (command.type === 'DeleteClient')
    return [{ type: 'ClientDeleted', data: { clientId: command.clientId, reason: command.reason } }];
  if (state.disabled) throw new ClientCommandError('client_disabled', `client ${command.clientId} is disabled`);
  switch (command.type) {
    case 'UpdateClient': {
      // A client that becomes confidential keeps (or needs) a secret; one that becomes public drops it from use.
      checkMetadata(command.metadata, state.secret !== null, limits, state.metadata.access_token_ttl);
      const changes = metadataChanges(state.metadata, command.metadata);
      return [{ type: 'ClientUpdated', data: { clientId: command.clientId, metadata: command.metadata, changes } }];
    }
    case 'UpdateRegisteredClient': {
      if (!sameHash(state.registrationTokenHash, command.presented))
        throw new ClientCommandError('registration_token_invalid', 'the registration access token is not valid');
      checkMetadata(command.metadata, state.secret !== null, limits, state.metadata.access_token_ttl);
      const { clientId } = command;
      const rotation = command.rotateSecret;
      return [
        {
          type: 'ClientUpdated',
          data: { clientId, metadata: command.metadata, changes: metadataChanges(state.metadata, command.metadata) },
        },
        { type: 'ClientRegistrationTokenRotated', data: { clientId, registrationTokenHash: command.next } },
        ...(rotation ? [secretRotated(clientId, command.metadata, state.secret, rotation)] : []),
      ];
    }
    case 'RotateClientSecret':
      return [secretRotated(command.clientId, state.metadata, state.secret, command)];
    case 'RecordPreviousSecretUse': {
      // Bounded: one record a client an hour, and none once the overlap is over.
      const previous = state.previousSecret;
      if (!previous || command.now >= previous.expiresAt) return [];
      const last = state.previousSecretLastUsedAt;
      if (last !== undefined && command.now - last < PREVIOUS_SECRET_USE_INTERVAL_MS) return [];
      return [{ type: 'ClientPreviousSecretUsed', data: { clientId: command.clientId } }];
    }
    case 'DisableClient':
      return [{ type: 'ClientDisabled', data: { clientId: command.clientId } }];
  }
}
