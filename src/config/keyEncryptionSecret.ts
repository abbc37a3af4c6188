import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './privateFiles.js';

export const SECRET_FILE = 'key-encryption.secret';

/**
 * The secret that encrypts signing keys in the ledger. From KEY_ENCRYPTION_SECRET when set; on the
 * embedded default, a random one kept beside the ledger (mode 0600) — created only for a new ledger,
 * so a lost file is reported rather than silently replaced by a secret that decrypts nothing.
 */
export function resolveKeyEncryptionSecret(config: Config, ledgerIsNew: boolean): string {
  if (config.keyEncryptionSecret) return config.keyEncryptionSecret;
  if (config.eventstoreConnectionString || config.database) {
    throw new ConfigError(
      `KEY_ENCRYPTION_SECRET is missing: expected the same secret on every instance sharing ` +
        `${config.database ? 'a PostgreSQL' : 'an EventStoreDB'} ledger`,
    );
  }
  const file = join(config.dataDir, SECRET_FILE);
  if (existsSync(file)) return readSecretFile(file);
  if (!ledgerIsNew) {
    throw new ConfigError(
      `KEY_ENCRYPTION_SECRET is missing: the ledger has signing keys but ${file} is gone; set KEY_ENCRYPTION_SECRET`,
    );
  }
  ensurePrivateDir(config.dataDir);
  // Written whole under a private name, then linked into place: instances starting together on a
  // new DATA_DIR never read a half-written secret, and every one that loses the link uses the winner's.
  const secret = randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${secret}\n`, { mode: PRIVATE_FILE_MODE });
  chmodSync(tmp, PRIVATE_FILE_MODE);
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readSecretFile(file);
  } finally {
    unlinkSync(tmp);
  }
  return secret;
}

function readSecretFile(file: string): string {
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new ConfigError(`${file} is readable by other users: expected mode 0600 (chmod 600 ${file})`);
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new ConfigError(`${file} is invalid: expected at least 32 characters`);
  return secret;
}
