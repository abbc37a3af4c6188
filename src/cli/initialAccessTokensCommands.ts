import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { mintInitialAccessToken } from '../application/initialAccessTokens.js';
import { print } from './output.js';
import { withRuntime } from './withRuntime.js';

function positive(value: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value)) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return Number(value);
}

/** `token-ledger initial-access-tokens create`: what a client needs to register itself at /register (RFC 7591 §3). */
export function initialAccessTokensCommand(): Command {
  const tokens = new Command('initial-access-tokens').description(
    'initial access tokens for dynamic client registration (RFC 7591)',
  );
  tokens
    .command('create')
    .description('mint an initial access token, shown this once (only its hash is kept)')
    .option('--expires-in <seconds>', 'seconds until it stops working (default: never)', positive)
    .option('--uses <n>', 'how many registrations it allows (default: any number)', positive)
    .option('--json', 'print JSON')
    .action((opts: { expiresIn?: number; uses?: number; json?: boolean }) =>
      withRuntime(async (rt) => {
        const minted = await mintInitialAccessToken(
          rt.ports,
          { expiresIn: opts.expiresIn, uses: opts.uses },
          { actor: 'operator:cli', correlationId: randomUUID() },
        );
        const info = {
          initial_access_token: minted.token,
          expires_at: minted.expiresAt === null ? null : Math.floor(minted.expiresAt / 1000),
          uses: opts.uses ?? null,
        };
        print(!!opts.json, info, () => `${minted.token}\n(shown only this once)`);
      }),
    );
  return tokens;
}
