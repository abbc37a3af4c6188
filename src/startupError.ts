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

/** Failures of the machine rather than of the code, with the setting to look at. */
const SYSTEM: Record<string, string> = {
  EADDRINUSE: 'another process listens there: set PORT (or HOST)',
  EADDRNOTAVAIL: 'not an address of this machine: set HOST',
  ENOTFOUND: 'the name does not resolve: set HOST',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
};

/** One line for the operator: what is wrong and, for the errors we expect, nothing else. */
export function startupErrorLine(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const message = e.message.replace(/\s*\n\s*/g, ' ');
  const system = SYSTEM[(e as NodeJS.ErrnoException).code ?? ''];
  if (system) return `token-ledger: ${message} (${system})`;
  const known = EXPECTED.some((cls) => e instanceof cls);
  return `token-ledger: ${known ? '' : 'unexpected error: '}${message}`;
}
