import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { mintInitialAccessToken } from '../../application/initialAccessTokens.js';
import { revokeInitialAccessToken } from '../../application/revokeInitialAccessToken.js';
import { allInitialAccessTokens, initialAccessTokenById } from '../../application/queries/initialAccessTokens.js';
import {
  clearRegistrationPolicy,
  effectiveRegistrationPolicy,
  setRegistrationPolicy,
} from '../../application/registrationPolicy.js';
import { commandContext, type GraphQLContext } from '../context.js';
import { badInput, decodeCursor, encodeCursor, notFound, pageInfo, pageSize } from '../mappers.js';
import { policyFromInput, toEffectivePolicy, toInitialAccessToken } from '../registrationMappers.js';
import {
  EffectiveRegistrationPolicy,
  InitialAccessToken,
  InitialAccessTokenConnection,
  InitialAccessTokenStatus,
  MintedInitialAccessToken,
  RegistrationPolicyInput,
} from '../registrationTypes.js';
import { checkReason, command } from './mutation.js';

/** An id is a SHA-256 in base64url; anything else names no token (and no stream is read for it). */
const TOKEN_ID = /^[A-Za-z0-9_-]{43}$/;

function positive(name: string, value: number | null | undefined): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 1) throw badInput(`${name} must be a whole number, 1 or more`);
  return value;
}

/** The operators' side of self-registration: the server's policy and initial access tokens (RFC 7591 §3). */
@Resolver()
export class RegistrationResolver {
  @Query(() => EffectiveRegistrationPolicy, { description: 'The registration policy in force, and where it is from' })
  registrationPolicy(@Ctx() ctx: GraphQLContext): EffectiveRegistrationPolicy {
    const { ports } = ctx.runtime;
    return toEffectivePolicy(effectiveRegistrationPolicy(ports), ports.config.registration.filePolicy);
  }

  @Query(() => InitialAccessTokenConnection, {
    description: 'Initial access tokens in minting order (never the tokens); at most 100 a page',
  })
  initialAccessTokens(
    @Arg('status', () => InitialAccessTokenStatus, { nullable: true })
    status: InitialAccessTokenStatus | null | undefined,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): InitialAccessTokenConnection {
    const now = Date.now();
    const all = [...allInitialAccessTokens(ctx.runtime.views)]
      .map((t) => toInitialAccessToken(t, now))
      .filter((t) => status == null || t.status === status);
    const raw = decodeCursor(after);
    if (raw !== undefined && !/^\d+$/.test(raw)) throw badInput('invalid cursor');
    const start = raw === undefined ? 0 : Number(raw) + 1;
    const n = pageSize(first);
    const edges = all.slice(start, start + n).map((node, i) => ({ cursor: encodeCursor(start + i), node }));
    return { edges, pageInfo: pageInfo(start + n < all.length, edges.at(-1)?.cursor ?? null), totalCount: all.length };
  }

  @Mutation(() => EffectiveRegistrationPolicy, {
    description: 'Sets the registration policy: it replaces REGISTRATION_POLICY_FILE until cleared',
  })
  setRegistrationPolicy(
    @Arg('policy', () => RegistrationPolicyInput) policy: RegistrationPolicyInput,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<EffectiveRegistrationPolicy> {
    return command(async () => {
      const why = checkReason(reason);
      const { ports } = ctx.runtime;
      const set = await setRegistrationPolicy(ports, policyFromInput(policy), commandContext(ctx, why));
      return toEffectivePolicy(set, ports.config.registration.filePolicy);
    });
  }

  @Mutation(() => EffectiveRegistrationPolicy, {
    description: 'Drops the policy set through GraphQL: REGISTRATION_POLICY_FILE holds again (or no policy)',
  })
  clearRegistrationPolicy(
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<EffectiveRegistrationPolicy> {
    return command(async () => {
      const why = checkReason(reason);
      const { ports } = ctx.runtime;
      const cleared = await clearRegistrationPolicy(ports, commandContext(ctx, why));
      return toEffectivePolicy(cleared, ports.config.registration.filePolicy);
    });
  }

  @Mutation(() => MintedInitialAccessToken, {
    description: 'Mints an initial access token for /register (RFC 7591 §3), answered here once',
  })
  mintInitialAccessToken(
    @Arg('expiresIn', () => Int, { nullable: true, description: 'Seconds; omitted: it does not expire' })
    expiresIn: number | null | undefined,
    @Arg('uses', () => Int, { nullable: true, description: 'Registrations it allows; omitted: any number' })
    uses: number | null | undefined,
    @Arg('policy', () => RegistrationPolicyInput, {
      nullable: true,
      description: 'Narrows the server policy for registrations with this token',
    })
    policy: RegistrationPolicyInput | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<MintedInitialAccessToken> {
    return command(async () => {
      const minting = {
        expiresIn: positive('expiresIn', expiresIn),
        uses: positive('uses', uses),
        ...(policy && { policy: policyFromInput(policy) }),
      };
      const { ports, views } = ctx.runtime;
      const minted = await mintInitialAccessToken(ports, minting, commandContext(ctx));
      const record = initialAccessTokenById(views, minted.id);
      if (!record) throw new Error('the minted token is not in the view');
      return { token: minted.token, initialAccessToken: toInitialAccessToken(record) };
    });
  }

  @Mutation(() => InitialAccessToken, {
    description: 'Revokes an initial access token: no more registrations with it; the clients it registered stay',
  })
  revokeInitialAccessToken(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<InitialAccessToken> {
    return command(async () => {
      const why = reason == null ? undefined : checkReason(reason);
      const { ports, views } = ctx.runtime;
      if (!TOKEN_ID.test(id) || !initialAccessTokenById(views, id))
        throw notFound(`initial access token ${id} does not exist`);
      await revokeInitialAccessToken(ports, id, commandContext(ctx, why));
      return toInitialAccessToken(initialAccessTokenById(views, id)!);
    });
  }
}
