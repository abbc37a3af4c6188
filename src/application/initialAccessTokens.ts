import { randomBytes } from 'node:crypto';
import { sha256 } from '../crypto/hash.js';
import { initialAccessTokenDecider } from '../domain/initialAccessTokens/decide.js';
import type { InitialAccessTokenEvent } from '../domain/initialAccessTokens/events.js';
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

/** The token's state as its stream holds it now (a read, no write): undefined when it was never minted. */
async function initialAccessTokenState(ports: Pick<Ports, 'events'>, tokenHash: string) {
  const { evolve, initialState } = initialAccessTokenDecider;
  let state = initialState();
  for (const e of await ports.events.ledger.store.readStream(initialAccessTokenStream(tokenHash)))
    state = evolve(state, e as unknown as InitialAccessTokenEvent);
  return state;
}

/**
 * Whether `token` may register a client now, as a dry run of its use: nothing is written. Answers its id (hash) and
 * policy; refuses an unknown, expired, used-up or revoked token (InitialAccessTokenRefused, invalid_token).
 */
export async function checkInitialAccessToken(
  ports: Pick<Ports, 'events' | 'clock'>,
  token: string,
): Promise<{ tokenHash: string; policy?: RegistrationPolicy }> {
  const tokenHash = sha256(token);
  const state = await initialAccessTokenState(ports, tokenHash);
  initialAccessTokenDecider.decide(
    { type: 'UseInitialAccessToken', tokenHash, clientId: '-', now: ports.clock() },
    state,
  );
  return { tokenHash, ...(state?.policy && { policy: state.policy }) };
}

/** The policy a token was minted with, whatever became of the token since (a registered client stays held to it). */
export async function initialAccessTokenPolicy(
  ports: Pick<Ports, 'events'>,
  tokenHash: string,
): Promise<RegistrationPolicy | undefined> {
  return (await initialAccessTokenState(ports, tokenHash))?.policy;
}

/** Records one registration with the token; refused if a concurrent registration took its last use first. */
export async function useInitialAccessToken(
  ports: Pick<Ports, 'events' | 'clock'>,
  tokenHash: string,
  clientId: string,
  ctx: CommandContext,
): Promise<void> {
  await execute(
    ports.events,
    initialAccessTokenStream(tokenHash),
    initialAccessTokenDecider,
    { type: 'UseInitialAccessToken', tokenHash, clientId, now: ports.clock() },
    ctx,
    { waitForViews: false },
  );
}
