import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { GraphQLError } from 'graphql';
import { activityBuckets, type ActivityBucketCounts } from '../../application/queries/activity.js';
import { eventSinkStatuses } from '../../application/queries/eventSinks.js';
import { tokenHistory } from '../../application/queries/history.js';
import { historyIndexLag, lastSeal, liveAccessTokens, viewLag } from '../../application/queries/ledgerStatus.js';
import { LedgerRunBusy, oneLedgerRun, replayStoredLedger, verifyStoredLedger } from '../../audit/ledgerRuns.js';
import { statusListUri } from '../../crypto/statusList.js';
import { grantStream } from '../../domain/grants/streams.js';
import type { AccessTokenIssuedEvent } from '../../domain/tokens/events.js';
import type { GraphQLContext } from '../context.js';
import { ActivityBucket, LedgerStatus, LedgerVerification, ReplayDigest, StatusListEntry } from '../consoleTypes.js';
import { badInput, decodeCursor, encodeCursor, pageInfo, pageSize, toToken, type TokenNode } from '../mappers.js';
import { graphqlErrorOf } from '../refusals.js';
import { DateTimeScalar } from '../scalars.js';
import { Client, Grant, Token, TokenConnection, User } from '../types.js';
import { historyOf } from './reads.js';

/** The use cases' clock: what the revoke mutations judge "live" by, so the counts here match what they revoke. */
const nowOf = (ctx: GraphQLContext) => ctx.runtime.ports.clock();

/** A whole-ledger run, one at a time in this process; a second caller is refused at once (retry later). */
async function ledgerRun<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await oneLedgerRun(run);
  } catch (err) {
    if (err instanceof LedgerRunBusy)
      throw new GraphQLError(err.message, { extensions: { code: 'UNAVAILABLE', reason: 'ledger_run_in_progress' } });
    throw err;
  }
}

/** The operator console's queries (docs/graphql.md, "The console's queries"); each reads a view or the index. */
@Resolver()
export class ConsoleResolver {
  @Query(() => [ActivityBucket], {
    description:
      'Issuance, refresh, revocation and failure counts per bucket from `since` to `until` (default now, its ' +
      'minute included), from the history index (kept 48 hours; buckets before that are left out), never the ' +
      'ledger. bucketSeconds: a multiple of 60 from 60 to 86400; at most 1440 buckets. clientId: that client only',
  })
  async activity(
    @Arg('since', () => DateTimeScalar) since: Date,
    @Arg('until', () => DateTimeScalar, { nullable: true }) until: Date | null,
    @Arg('bucketSeconds', () => Int, { nullable: true, defaultValue: 60 }) bucketSeconds: number | null,
    @Arg('clientId', () => String, { nullable: true }) clientId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ActivityBucketCounts[]> {
    const history = await historyOf(ctx.runtime);
    try {
      const request = {
        since,
        bucketSeconds: bucketSeconds ?? 60,
        ...(until != null ? { until } : {}),
        ...(clientId != null ? { clientId } : {}),
      };
      return activityBuckets(history, request, nowOf(ctx));
    } catch (err) {
      throw graphqlErrorOf(err);
    }
  }

  @Query(() => LedgerStatus, { description: 'Head position, live tokens, view, index and sink lags, the last seal' })
  async ledgerStatus(@Ctx() ctx: GraphQLContext): Promise<LedgerStatus> {
    const rt = ctx.runtime;
    const [head, sinks] = await Promise.all([
      rt.store.headPosition(),
      eventSinkStatuses({ events: rt.ports.events, sinks: rt.config.eventSinks }, rt.sinkCursors()),
    ]);
    const seal = lastSeal(rt.views);
    return {
      position: head.toString(),
      liveTokens: liveAccessTokens(rt.views),
      viewLag: viewLag(rt.runner, head),
      historyIndexLag: historyIndexLag(rt.runner),
      sinks: sinks.map((s) => ({ id: s.id, lag: Number(s.lag), parked: s.parked })),
      lastSeal: seal && { size: seal.treeSize, root: seal.rootHash, sealedAt: new Date(seal.sealedAt) },
    };
  }

  @Query(() => LedgerVerification, {
    description:
      'Runs `token-ledger verify` on the whole ledger: the same checks and answer. One run at a time per server ' +
      '(UNAVAILABLE, reason ledger_run_in_progress, while another runs)',
  })
  async verifyLedger(@Ctx() ctx: GraphQLContext): Promise<LedgerVerification> {
    const rt = ctx.runtime;
    const report = await ledgerRun(() => verifyStoredLedger(rt.storeAsStored, rt.config));
    const bad = report.firstBad;
    return {
      ok: report.ok,
      events: report.events,
      streams: report.streams,
      firstBroken: bad
        ? { position: bad.position, stream: bad.stream, revision: bad.revision, reason: bad.problem }
        : null,
    };
  }

  @Query(() => ReplayDigest, {
    description:
      'Runs `token-ledger replay --until <position> --json` (the whole ledger without a position) and answers its ' +
      'digest. One run at a time per server, shared with verifyLedger',
  })
  async replayDigest(
    @Arg('position', () => String, { nullable: true }) position: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReplayDigest> {
    if (position != null && !/^\d{1,19}$/.test(position)) throw badInput('position must be a ledger position (digits)');
    const rt = ctx.runtime;
    const until = position == null ? undefined : BigInt(position);
    const summary = await ledgerRun(() => replayStoredLedger(rt.storeAsStored, until));
    return { position: until === undefined ? null : until.toString(), digest: summary.digest, events: summary.events };
  }
}

@Resolver(() => Token)
export class ConsoleTokenFieldsResolver {
  @FieldResolver(() => StatusListEntry, {
    nullable: true,
    description: 'Its slot in a Token Status List, from its issue event; null for opaque and refresh tokens',
  })
  async statusListEntry(@Root() token: TokenNode, @Ctx() ctx: GraphQLContext): Promise<StatusListEntry | null> {
    if (token.kind !== 'access_token') return null;
    const issued = (await tokenHistory(ctx.runtime.store, token)).find(
      (e) => e.type === 'AccessTokenIssued' && (e.data as { jti?: string }).jti === token.jti,
    ) as AccessTokenIssuedEvent | undefined;
    const slot = issued?.data.statusList;
    return slot ? { uri: statusListUri(ctx.runtime.config.issuer, slot.id), index: slot.idx } : null;
  }
}

@Resolver(() => Grant)
export class ConsoleGrantFieldsResolver {
  @FieldResolver(() => [Token], { description: 'Its refresh tokens in issue order: each rotated into the next' })
  async refreshChain(@Root() grant: Grant, @Ctx() ctx: GraphQLContext): Promise<TokenNode[]> {
    const now = nowOf(ctx);
    return (await historyOf(ctx.runtime)).refreshTokensOfGrant(grant.id).map((t) => toToken(t, now));
  }

  @FieldResolver(() => DateTimeScalar, {
    nullable: true,
    description:
      'When a rotated-out refresh token (or the redeemed code) was presented again, which revoked the grant; ' +
      'null: never',
  })
  async reuseDetectedAt(@Root() grant: Grant, @Ctx() ctx: GraphQLContext): Promise<Date | null> {
    const events = await ctx.runtime.store.readStream(grantStream(grant.id));
    const reuse = events.find(
      (e) => e.type === 'RefreshTokenReuseDetected' || e.type === 'AuthorizationCodeReuseDetected',
    );
    return reuse?.recordedAt ?? null;
  }

  @FieldResolver(() => Int, {
    description:
      'Tokens of the grant (and exchanged from them) neither revoked nor expired: what revokeGrant would revoke',
  })
  async liveTokenCount(@Root() grant: Grant, @Ctx() ctx: GraphQLContext): Promise<number> {
    return (await historyOf(ctx.runtime)).liveTokenCountOfGrant(grant.id, nowOf(ctx));
  }
}

@Resolver(() => User)
export class ConsoleUserFieldsResolver {
  @FieldResolver(() => Int, {
    description: 'Tokens of this subject neither revoked nor expired: the number revokeSubjectTokens answers',
  })
  async liveTokenCount(@Root() user: User, @Ctx() ctx: GraphQLContext): Promise<number> {
    return (await historyOf(ctx.runtime)).liveTokenCount({ subject: user.sub }, nowOf(ctx));
  }

  @FieldResolver(() => TokenConnection, { description: "The subject's tokens in issue order; at most 100 a page" })
  async tokens(
    @Root() user: User,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TokenConnection> {
    const raw = decodeCursor(after);
    if (raw !== undefined && !/^\d+$/.test(raw)) throw badInput('invalid cursor');
    const now = nowOf(ctx);
    const { page, total, hasNextPage } = (await historyOf(ctx.runtime)).selectTokens(
      { subject: user.sub },
      raw === undefined ? -1 : Number(raw),
      pageSize(first),
      now,
    );
    const edges = page.map((t) => ({ cursor: encodeCursor(t.seq), node: toToken(t, now) }));
    return { edges, pageInfo: pageInfo(hasNextPage, edges.at(-1)?.cursor ?? null), totalCount: total };
  }
}

@Resolver(() => Client)
export class ConsoleClientFieldsResolver {
  @FieldResolver(() => Int, {
    description: 'Tokens of this client neither revoked nor expired: the number revokeClientTokens answers',
  })
  async liveTokenCount(@Root() client: Client, @Ctx() ctx: GraphQLContext): Promise<number> {
    return (await historyOf(ctx.runtime)).liveTokenCount({ clientId: client.clientId }, nowOf(ctx));
  }
}
