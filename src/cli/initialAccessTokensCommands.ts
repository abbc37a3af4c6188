import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type { InitialAccessTokenRecord } from '../../projections/initialAccessTokens.js';
import { mintInitialAccessToken } from '../application/initialAccessTokens.js';
import { revokeInitialAccessToken } from '../application/revokeInitialAccessToken.js';
import { allInitialAccessTokens, initialAccessTokenById } from '../application/queries/initialAccessTokens.js';
import { InitialAccessTokenRefused } from '../domain/initialAccessTokens/decide.js';
import { readRegistrationPolicy, type RegistrationPolicy } from '../domain/registration/policy.js';
import { print, table } from './output.js';
import { withRuntime } from './withRuntime.js';

function positive(value: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value)) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return Number(value);
}

/** A policy narrowing the server's for registrations with the token, as inline JSON (docs/registration-policy.md). */
function policy(value: string): RegistrationPolicy {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a registration policy as JSON, e.g. {"scope":"openid"}');
  }
  const read = readRegistrationPolicy(json);
  if ('problem' in read) throw new InvalidArgumentError(read.problem);
  return read.policy;
}

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : Math.floor(ms / 1000));

/** A token as `list` and `revoke` print it: its id (SHA-256), never the token; times in seconds since the epoch. */
function information(t: InitialAccessTokenRecord, now: number) {
  const status =
    t.revokedAt !== undefined
      ? 'revoked'
      : t.expiresAt !== null && t.expiresAt <= now
        ? 'expired'
        : t.uses !== null && t.usedCount >= t.uses
          ? 'used_up'
          : 'active';
  return {
    id: t.id,
    status,
    created_at: seconds(t.createdAt),
    expires_at: seconds(t.expiresAt),
    uses: t.uses,
    uses_left: t.uses === null ? null : Math.max(0, t.uses - t.usedCount),
    used_count: t.usedCount,
    revoked_at: seconds(t.revokedAt),
    ...(t.policy && { policy: t.policy }),
  };
}

/**
 * `token-ledger initial-access-tokens create|list|revoke`: what a client needs to register itself at /register
 * (RFC 7591 §3), and the operator's view of those minted.
 */
export function initialAccessTokensCommand(): Command {
  const tokens = new Command('initial-access-tokens').description(
    'initial access tokens for dynamic client registration (RFC 7591)',
  );
  tokens
    .command('create')
    .description('mint an initial access token, shown this once (only its hash is kept)')
    .option('--expires-in <seconds>', 'seconds until it stops working (default: never)', positive)
    .option('--uses <n>', 'how many registrations it allows (default: any number)', positive)
    .option('--policy <json>', "narrows the server's registration policy for registrations with it", policy)
    .option('--json', 'print JSON')
    .action((opts: { expiresIn?: number; uses?: number; policy?: RegistrationPolicy; json?: boolean }) =>
      withRuntime(async (rt) => {
        const minted = await mintInitialAccessToken(
          rt.ports,
          { expiresIn: opts.expiresIn, uses: opts.uses, policy: opts.policy },
          { actor: 'operator:cli', correlationId: randomUUID() },
        );
        const info = {
          initial_access_token: minted.token,
          id: minted.id,
          expires_at: minted.expiresAt === null ? null : Math.floor(minted.expiresAt / 1000),
          uses: opts.uses ?? null,
          ...(opts.policy && { policy: opts.policy }),
        };
        print(!!opts.json, info, () => `${minted.token}\n(shown only this once)`);
      }),
    );
  tokens
    .command('list')
    .description('list initial access tokens (ids and status, never the tokens)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const now = rt.ports.clock();
        const all = [...allInitialAccessTokens(rt.views)].map((t) => information(t, now));
        print(!!opts.json, { initial_access_tokens: all }, () =>
          table(
            all.map((t) => ({
              id: t.id,
              status: t.status,
              expires_at: t.expires_at === null ? 'never' : new Date(t.expires_at * 1000).toISOString(),
              uses_left: t.uses_left === null ? 'any' : String(t.uses_left),
              used: String(t.used_count),
            })),
          ),
        );
      }),
    );
  tokens
    .command('revoke <id>')
    .description('revoke an initial access token by its id: no more registrations with it')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        if (!/^[A-Za-z0-9_-]{43}$/.test(id) || !initialAccessTokenById(rt.views, id))
          throw new InitialAccessTokenRefused('unknown', `no initial access token has id ${id}`);
        await revokeInitialAccessToken(rt.ports, id, { actor: 'operator:cli', correlationId: randomUUID() });
        const info = information(initialAccessTokenById(rt.views, id)!, rt.ports.clock());
        print(!!opts.json, info, () => `initial access token ${id} revoked`);
      }),
    );
  return tokens;
}
