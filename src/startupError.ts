import { ConfigError } from './config/config.js';
import { StoreCorruptError, StoreUnavailableError } from './ledger/eventStore.js';
import { KeyDecryptionError } from './tokens/keyMaterial.js';
import { ClientCommandError } from './domain/clients/decide.js';
import { ClientMetadataError } from './domain/clients/metadataRules.js';
import { KeyringError } from './domain/keyring/decide.js';
import { EventValidationError } from './ledger/validation.js';
import { UserCommandError } from './domain/users/decide.js';

const EXPECTED = [
  ConfigError,
  StoreCorruptError,
  StoreUnavailableError,
  KeyDecryptionError,
  ClientCommandError,
  ClientMetadataError,
  KeyringError,
  EventValidationError,
  UserCommandError,
];

/** One line for the operator: what is wrong and, for the errors we expect, nothing else. */
export function startupErrorLine(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const known = EXPECTED.some((cls) => e instanceof cls);
  return `token-ledger: ${known ? '' : 'unexpected error: '}${e.message.replace(/\s*\n\s*/g, ' ')}`;
}
