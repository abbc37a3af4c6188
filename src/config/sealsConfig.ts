import { ConfigError, integer, type Env } from './configParsing.js';

/** The sealed ledger (docs/audit-seals.md). */
export interface SealsConfig {
  /** SEAL_INTERVAL_SECONDS: a seal is appended this often (and at graceful shutdown) when the ledger grew; 0: never. */
  intervalSeconds: number;
  /** SEAL_EXPORT_FILE: every seal is also appended to this file, one JSON line each. */
  exportFile?: string;
  /** SEAL_EXPORT_URL: every seal is also POSTed there as JSON (retried; a failure never stops sealing). */
  exportUrl?: string;
}

export function sealsConfig(env: Env): SealsConfig {
  const exportFile = env.SEAL_EXPORT_FILE || undefined;
  if (exportFile?.includes('\0')) throw new ConfigError('SEAL_EXPORT_FILE is invalid: expected a file path');
  const exportUrl = env.SEAL_EXPORT_URL || undefined;
  if (exportUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(exportUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw new ConfigError('SEAL_EXPORT_URL is invalid: expected an http(s) URL');
  }
  return { intervalSeconds: integer(env, 'SEAL_INTERVAL_SECONDS', 300, 0, 31_536_000), exportFile, exportUrl };
}
