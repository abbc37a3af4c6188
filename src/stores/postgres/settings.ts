import { ConfigError } from '../../config/config.js';

/** How to reach the PostgreSQL ledger (DATABASE_URL and the DATABASE_* tuning settings). */
export interface PostgresSettings {
  /** The connection string as given; holds the password, so it is never printed (see `target`). */
  readonly url: string;
  /** `user@host:port/database`: what messages and logs may show instead of the URL. */
  readonly target: string;
  /** Connections in the pool for reads and appends (a LISTEN connection comes on top). */
  readonly poolSize: number;
  /** Server-side limit on any one statement, including the wait for the append lock. */
  readonly statementTimeoutMs: number;
  /** How long opening a connection may take before the attempt fails. */
  readonly connectTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected an integer from ${min} to ${max}`);
  }
  return n;
}

/**
 * `user@host:port/database` of a postgres:// URL: everything but the password. Unparsable input
 * yields a fixed placeholder, since echoing it could print the password.
 */
function describeDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(unparsable URL)';
  }
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  const host = parsed.host || parsed.searchParams.get('host') || 'localhost';
  const database = parsed.pathname.replace(/^\//, '');
  return `${parsed.protocol}//${user}${host}${database ? `/${decodeURIComponent(database)}` : ''}`;
}

/** The PostgreSQL settings when DATABASE_URL is set, else undefined (the embedded store or EventStoreDB). */
export function postgresSettings(env: Env): PostgresSettings | undefined {
  const url = env.DATABASE_URL || undefined;
  if (url === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//.test(url) || describeDatabaseUrl(url) === '(unparsable URL)') {
    throw new ConfigError(
      'DATABASE_URL is invalid: expected a URL such as postgres://user:password@localhost:5432/token_ledger',
    );
  }
  if (env.EVENTSTORE_CONNECTION_STRING) {
    throw new ConfigError('DATABASE_URL and EVENTSTORE_CONNECTION_STRING are both set: expected one ledger');
  }
  const settings: PostgresSettings = {
    url,
    target: describeDatabaseUrl(url),
    poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 100, 3_600_000),
    connectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
  };
  // A logged or serialised configuration shows where the ledger is, never the password.
  Object.defineProperty(settings, 'url', { enumerable: false });
  Object.defineProperty(settings, 'toJSON', {
    enumerable: false,
    value: () => ({ ...settings, url: settings.target }),
  });
  return settings;
}
