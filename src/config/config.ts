import { ConfigError, choice, integer, type Env } from './configParsing.js';
import { registrationConfig, type RegistrationConfig } from './registrationConfig.js';
import { sealsConfig, type SealsConfig } from './sealsConfig.js';
import { eventSinksConfig, type EventSinksConfig } from './eventSinksConfig.js';
import { securityEventsConfig, type SecurityEventsConfig } from './securityEventsConfig.js';
import { resolve } from 'node:path';
import { postgresSettings, type PostgresSettings } from '../stores/postgres/settings.js';
import { hasKurrentScheme } from '../stores/esdb/connectionString.js';

export interface Config {
  port: number;
  host: string;
  issuer: string;
  dataDir: string;
  eventstoreConnectionString?: string;
  /** The PostgreSQL ledger (DATABASE_URL and DATABASE_* settings); never printed with its password. */
  database?: PostgresSettings;
  keyEncryptionSecret?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Upper bound on any token's lifetime; a retired signing key stays published this long. */
  maxTokenLifetimeSeconds: number;
  /** A refresh token unused this long expires; each rotation starts a new idle period. */
  refreshTokenIdleSeconds: number;
  /** No refresh token of a grant outlives this, however often it is rotated. */
  refreshTokenAbsoluteSeconds: number;
  /** How long a login session lasts. */
  sessionSeconds: number;
  /** Trust X-Forwarded-* from a reverse proxy: false, true, a hop count, or a list of proxy addresses. */
  trustProxy: boolean | number | string;
  /** Brute-force limits on failed client authentications and logins. */
  throttle: ThrottleConfig;
  /** strict: introspection first waits for this instance's views to reach the ledger's head. */
  introspectionConsistency: 'strict' | 'eventual';
  /** How long a client may take to send a request, and how many connections are served at once. */
  http: HttpLimits;
  /** DPOP_NONCE=required: every DPoP proof must carry a nonce this server gave (RFC 9449 §8, §9). */
  dpopNonceRequired: boolean;
  /** REQUIRE_PAR=true: every client's authorization requests must be pushed to /par first (RFC 9126 §5). */
  requirePushedAuthorizationRequests: boolean;
  /** PROFILE=fapi2: the FAPI 2.0 Security Profile is enforced for every client. */
  profile: 'default' | 'fapi2';
  /** CONSOLE=on (the default): the server registers the operator console's client at start (consoleClient.ts). */
  console: boolean;
  /** Self-registration (RFC 7591/7592) and client ID metadata documents. */
  registration: RegistrationConfig;
  /** Merkle seals of the ledger: how often, and where else they are written. */
  seals: SealsConfig;
  /** Webhook sinks of the outbound feed (EVENT_SINKS_*). */
  eventSinks: EventSinksConfig;
  /** What security events keep of a request (SECURITY_EVENTS_ADDRESS). */
  securityEvents: SecurityEventsConfig;
}

/**
 * A client that sends its request slowly (or never finishes it) is cut off, and the number of
 * open sockets is capped, so that a few idle connections cannot exhaust the server. WebSocket
 * (graphql-ws) connections are past the request phase: the timeouts do not apply to them, the
 * connection cap does.
 */
export interface HttpLimits {
  /** Whole request, headers and body, must arrive within this (REQUEST_TIMEOUT_MS); else 408 and close. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (HEADERS_TIMEOUT_MS); at most REQUEST_TIMEOUT_MS. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed on arrival, without a response (MAX_CONNECTIONS). */
  maxConnections: number;
}

/**
 * Free failures per key before blocking starts, and how blocks grow (src/security/clientAuthThrottle.ts,
 * src/security/loginThrottle.ts). A free-failure count of 1000000 effectively turns a limit off.
 */
export interface ThrottleConfig {
  /** Failed client authentications per client id (THROTTLE_CLIENT_FAILURES). */
  clientFailures: number;
  /** Failed client authentications, and failed logins, per IP or IPv6 /64 (THROTTLE_IP_FAILURES). */
  ipFailures: number;
  /** Failed logins per username + IP (THROTTLE_LOGIN_FAILURES). */
  loginFailures: number;
  /** Failed logins per username from anywhere (THROTTLE_ACCOUNT_FAILURES). */
  accountFailures: number;
  /** Client authentication: the first block, doubled per further failure, capped. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** Client authentication: how long failures are remembered. */
  windowSeconds: number;
  /** How long a (client id or username, IP) pair that succeeded is exempt from the id-wide limit. */
  trustedSeconds: number;
}

function issuerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `ISSUER=${JSON.stringify(raw)} is invalid: expected an http(s) URL such as https://auth.example.com`,
    );
  }
  // RFC 8414 §2: an https URL with no query or fragment (http is allowed for local development).
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      `ISSUER=${JSON.stringify(raw)} is invalid: expected an http(s) URL without query, fragment or credentials`,
    );
  }
  return raw.replace(/\/+$/, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Off by default: a forged X-Forwarded-For would otherwise pick the IP that login throttling counts. */
function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  if (/^[0-9a-fA-F.:/, ]+$/.test(raw)) return raw;
  throw new ConfigError(
    `TRUST_PROXY=${JSON.stringify(raw)} is invalid: expected true, false, a hop count, or proxy addresses ` +
      `(10.0.0.1, 10.0.0.0/8)`,
  );
}

function throttle(env: Env): ThrottleConfig {
  const failures = (name: string, fallback: number) => integer(env, name, fallback, 1, 1_000_000_000);
  const baseDelaySeconds = integer(env, 'THROTTLE_BASE_DELAY_SECONDS', 1, 1, 86_400);
  const maxDelaySeconds = integer(env, 'THROTTLE_MAX_DELAY_SECONDS', 900, 1, 864_000);
  if (maxDelaySeconds < baseDelaySeconds) {
    throw new ConfigError(
      `THROTTLE_MAX_DELAY_SECONDS=${maxDelaySeconds} is invalid: expected at least THROTTLE_BASE_DELAY_SECONDS ` +
        `(${baseDelaySeconds})`,
    );
  }
  return {
    clientFailures: failures('THROTTLE_CLIENT_FAILURES', 10),
    ipFailures: failures('THROTTLE_IP_FAILURES', 100),
    loginFailures: failures('THROTTLE_LOGIN_FAILURES', 5),
    accountFailures: failures('THROTTLE_ACCOUNT_FAILURES', 10),
    baseDelaySeconds,
    maxDelaySeconds,
    windowSeconds: integer(env, 'THROTTLE_WINDOW_SECONDS', 3600, 1, 864_000),
    trustedSeconds: integer(env, 'THROTTLE_TRUSTED_SECONDS', 604_800, 1, 1_814_400),
  };
}

/**
 * A refresh token's idle lifetime is cut to its grant's absolute one, so an idle TTL above it would
 * silently mean the absolute one: refused when set. Left unset, it follows a lower absolute TTL.
 */
function refreshTokenLifetimes(env: Env): Pick<Config, 'refreshTokenIdleSeconds' | 'refreshTokenAbsoluteSeconds'> {
  const refreshTokenAbsoluteSeconds = integer(env, 'REFRESH_TOKEN_ABSOLUTE_TTL', 2_592_000, 60, 315_360_000);
  const refreshTokenIdleSeconds = integer(
    env,
    'REFRESH_TOKEN_IDLE_TTL',
    Math.min(1_209_600, refreshTokenAbsoluteSeconds),
    60,
    31_536_000,
  );
  if (refreshTokenIdleSeconds > refreshTokenAbsoluteSeconds) {
    throw new ConfigError(
      `REFRESH_TOKEN_IDLE_TTL=${refreshTokenIdleSeconds} is invalid: expected at most ` +
        `REFRESH_TOKEN_ABSOLUTE_TTL (${refreshTokenAbsoluteSeconds})`,
    );
  }
  return { refreshTokenIdleSeconds, refreshTokenAbsoluteSeconds };
}

function httpLimits(env: Env): HttpLimits {
  const requestTimeoutMs = integer(env, 'REQUEST_TIMEOUT_MS', 10_000, 100, 600_000);
  const headersTimeoutMs = integer(env, 'HEADERS_TIMEOUT_MS', Math.min(5_000, requestTimeoutMs), 100, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `HEADERS_TIMEOUT_MS=${headersTimeoutMs} is invalid: expected at most REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    // Above the usual load balancer idle timeout (60 s), so the balancer closes first (Fastify's default).
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 1024, 1, 1_000_000),
  };
}

function consistency(raw: string | undefined): Config['introspectionConsistency'] {
  if (raw === undefined || raw === '' || raw === 'eventual') return 'eventual';
  if (raw === 'strict') return 'strict';
  throw new ConfigError(`INTROSPECTION_CONSISTENCY=${JSON.stringify(raw)} is invalid: expected strict or eventual`);
}

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const issuer = issuerUrl(env.ISSUER || `http://localhost:${port}`);
  const conn = env.EVENTSTORE_CONNECTION_STRING || undefined;
  if (conn !== undefined && !hasKurrentScheme(conn)) {
    throw new ConfigError(
      'EVENTSTORE_CONNECTION_STRING is invalid: expected a connection string such as ' +
        'kurrentdb://localhost:2113?tls=false (schemes kurrentdb, kurrent, kdb or esdb, each also +discover)',
    );
  }
  const secret = env.KEY_ENCRYPTION_SECRET || undefined;
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError(
      'KEY_ENCRYPTION_SECRET is invalid: expected at least 32 characters (e.g. openssl rand -base64 32)',
    );
  }
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} is invalid: expected one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  return {
    port,
    host,
    issuer,
    dataDir: resolve(env.DATA_DIR || './data'),
    eventstoreConnectionString: conn,
    database: postgresSettings(env),
    keyEncryptionSecret: secret,
    logLevel,
    maxTokenLifetimeSeconds: integer(env, 'MAX_TOKEN_LIFETIME', 86_400, 60, 31_536_000),
    ...refreshTokenLifetimes(env),
    sessionSeconds: integer(env, 'SESSION_TTL', 86_400, 60, 31_536_000),
    trustProxy: trustProxy(env.TRUST_PROXY),
    throttle: throttle(env),
    introspectionConsistency: consistency(env.INTROSPECTION_CONSISTENCY),
    http: httpLimits(env),
    dpopNonceRequired: choice(env, 'DPOP_NONCE', ['off', 'required'], 'off') === 'required',
    requirePushedAuthorizationRequests: choice(env, 'REQUIRE_PAR', ['false', 'true'], 'false') === 'true',
    profile: choice(env, 'PROFILE', ['default', 'fapi2'], 'default'),
    console: choice(env, 'CONSOLE', ['on', 'off'], 'on') === 'on',
    registration: registrationConfig(env),
    seals: sealsConfig(env),
    eventSinks: eventSinksConfig(env),
    securityEvents: securityEventsConfig(env),
  };
}

export { ConfigError };
