import { Refusal } from './domain/refusal.js';

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

/**
 * One line for the operator: what is wrong and, for a refusal (a bad setting, a damaged ledger, a
 * command the ledger refuses), nothing else; anything that is not a refusal is a fault of the code.
 */
export function startupErrorLine(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const message = e.message.replace(/\s*\n\s*/g, ' ');
  const system = SYSTEM[(e as NodeJS.ErrnoException).code ?? ''];
  if (system) return `token-ledger: ${message} (${system})`;
  return `token-ledger: ${e instanceof Refusal ? '' : 'unexpected error: '}${message}`;
}
