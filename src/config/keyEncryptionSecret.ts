import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';

export const SECRET_FILE = 'key-encryption.secret';

/**
 * The secret that encrypts signing keys in the ledger. From KEY_ENCRYPTION_SECRET when set; on the
 * embedded default, a random one kept beside the ledger (mode 0600) — created only for a new ledger,
 * so a lost file is reported rather than silently replaced by a secret that decrypts nothing.
 */
export function resolveKeyEncryptionSecret(config: Config, ledgerIsNew: boolean): string {
  if (config.keyEncryptionSecret) return config.keyEncryptionSecret;
  if (config.eventstoreConnectionString || config.database) {
    throw new ConfigError(`KEY_ENCRYPTION_SECRET is missing: expected the same secret on every instance sharing ${config.database ? 'a PostgreSQL' : 'an EventStoreDB'} ledger`);
  }
  const file = join(config.dataDir, SECRET_FILE);
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) {
      throw new ConfigError(`${file} is readable by other users: expected mode 0600 (chmod 600 ${file})`);
    }
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < 32) throw new ConfigError(`${file} is invalid: expected at least 32 characters`);
    return secret;
  }
  if (!ledgerIsNew) {
    throw new ConfigError(`KEY_ENCRYPTION_SECRET is missing: the ledger has signing keys but ${file} is gone; set KEY_ENCRYPTION_SECRET`);
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
