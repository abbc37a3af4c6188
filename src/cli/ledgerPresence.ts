import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type Config } from '../config/config.js';
import { LEDGER_FILE } from '../runtime.js';

/** What a command does with a ledger that is not there: refuse (it reads one), or start a new one. */
export type LedgerUse = 'existing' | 'create';

/**
 * `DATA_DIR` defaults to ./data, relative to where the command runs: from the wrong directory, a
 * command would quietly open a new, empty ledger that no server reads (and `verify` would call it
 * sound). Commands that read refuse; commands that register something say which file they create.
 */
export function checkLedgerPresence(config: Config, use: LedgerUse): void {
  if (ledgerExists(config)) return;
  const file = resolve(config.dataDir, LEDGER_FILE);
  if (use === 'existing') {
    throw new ConfigError(
      `DATA_DIR=${config.dataDir} holds no ledger (${file} does not exist): set DATA_DIR to the server's data ` +
        `directory, or start the server once`,
    );
  }
  process.stderr.write(`token-ledger: no ledger at ${file}: starting a new, empty one there\n`);
}

/**
 * Whether the embedded ledger file is there (a server-backed ledger, EventStoreDB or PostgreSQL, always counts as
 * there).
 */
export function ledgerExists(config: Config): boolean {
  return (
    config.eventstoreConnectionString !== undefined ||
    config.database !== undefined ||
    existsSync(resolve(config.dataDir, LEDGER_FILE))
  );
}
