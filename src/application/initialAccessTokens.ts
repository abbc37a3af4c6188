import { randomBytes } from 'node:crypto';
import { sha256 } from '../crypto/hash.js';
import { initialAccessTokenDecider } from '../domain/initialAccessTokens/decide.js';
import { initialAccessTokenStream } from '../domain/initialAccessTokens/streams.js';
import type { RegistrationPolicy } from '../domain/registration/policy.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { execute } from './execute.js';
import type { Ports } from './ports.js';

interface Minting {
  /** Seconds from now; none: it does not expire. */
  expiresIn?: number;
  /** How many registrations it allows; none: any number. */
  uses?: number;
  policy?: RegistrationPolicy;
}

/**
 * RFC 7591 §3: mints an initial access token (CLI and GraphQL): 256 random bits, recorded by hash only, answered
 * this once; returns once the initialAccessTokens view lists it.
 */
export async function mintInitialAccessToken(
  ports: Pick<Ports, 'events' | 'clock'>,
  minting: Minting,
  ctx: CommandContext,
): Promise<{ token: string; id: string; expiresAt: number | null }> {
  const token = randomBytes(32).toString('base64url');
  const tokenHash = sha256(token);
  const expiresAt = minting.expiresIn === undefined ? null : ports.clock() + minting.expiresIn * 1000;
  await execute(
    ports.events,
    initialAccessTokenStream(tokenHash),
    initialAccessTokenDecider,
    {
      type: 'IssueInitialAccessToken',
      tokenHash,
      expiresAt,
      uses: minting.uses ?? null,
      ...(minting.policy && { policy: minting.policy }),
    },
    ctx,
    { fresh: true },
  );
  return { token, id: tokenHash, expiresAt };
}
