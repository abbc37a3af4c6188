import type { Sink } from '../feed/sink.js';
import { ConfigError, choice, integer, type Env } from './configParsing.js';
import { eventSinksFile } from './eventSinksFile.js';

/** The outbound feed (docs/audit-feed.md). */
export interface EventSinksConfig {
  /** EVENT_SINKS_FILE's sinks, read and checked at startup. */
  fileSinks: Sink[];
  /** EVENT_SINKS_ALLOW_HTTP_LOOPBACK=true, for development and tests: http://127.0.0.1 receivers are accepted. */
  allowHttpLoopback: boolean;
  /** EVENT_SINKS_DELIVERY=off: this process delivers nothing (another one sharing the ledger does). */
  deliver: boolean;
  /** EVENT_SINKS_TIMEOUT_MS: one delivery attempt is abandoned after this. */
  timeoutMs: number;
  /** EVENT_SINKS_RETRY_MAX_MS: the longest wait between two attempts (the backoff doubles up to it). */
  retryMaxMs: number;
}

export function eventSinksConfig(env: Env): EventSinksConfig {
  const allowHttpLoopback = choice(env, 'EVENT_SINKS_ALLOW_HTTP_LOOPBACK', ['false', 'true'], 'false') === 'true';
  const file = env.EVENT_SINKS_FILE || undefined;
  if (file?.includes('\0')) throw new ConfigError('EVENT_SINKS_FILE is invalid: expected a file path');
  return {
    fileSinks: file === undefined ? [] : eventSinksFile(file, allowHttpLoopback),
    allowHttpLoopback,
    deliver: choice(env, 'EVENT_SINKS_DELIVERY', ['on', 'off'], 'on') === 'on',
    timeoutMs: integer(env, 'EVENT_SINKS_TIMEOUT_MS', 10_000, 100, 120_000),
    retryMaxMs: integer(env, 'EVENT_SINKS_RETRY_MAX_MS', 300_000, 100, 3_600_000),
  };
}
