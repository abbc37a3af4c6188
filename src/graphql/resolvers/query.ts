import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { allClients, clientById } from '../../application/queries/clients.js';
import { clientLastUsedAt } from '../../application/queries/clientActivity.js';
import { statusAt, tokenHistory } from '../../application/queries/history.js';
import { chainStatusAt } from '../../application/queries/exchangeHistory.js';
import { allSigningKeys } from '../../application/queries/keys.js';
import { userBySub } from '../../application/queries/users.js';
import { clientStream } from '../../domain/clients/streams.js';
import { grantStream } from '../../domain/grants/streams.js';
import { userStream } from '../../domain/users/streams.js';
import type { GraphQLContext } from '../context.js';
import {
  badInput,
  decodeCursor,
  encodeCursor,
  pageInfo,
  pageSize,
  registeredBy,
  toClient,
  toGrant,
  toLedgerEvent,
  toSession,
  toSigningKey,
  toToken,
  toUser,
  type TokenNode,
} from '../mappers.js';
import { DateTimeScalar } from '../scalars.js';
import {
  Client,
  ClientConnection,
  Grant,
  LedgerEvent,
  LedgerEventConnection,
  RegisteredBy,
  Session,
  SigningKey,
  Token,
  TokenConnection,
  TokenFilter,
  TokenStatus,
  User,
} from '../types.js';
import { historyOf } from './reads.js';

/** The most events one `events` page may read from the ledger while looking for a category. */
const SCAN_LIMIT = 10_000;
const SCAN_BATCH = 500;

function seqCursor(after: string | null | undefined): number {
  const raw = decodeCursor(after);
  if (raw === undefined) return -1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badInput('invalid cursor');
  return n;
}

@Resolver()
export class QueryResolver {
  @Query(() => Token, { nullable: true, description: 'A token by its jti, from the history index' })
  async token(@Arg('jti', () => ID) jti: string, @Ctx() ctx: GraphQLContext): Promise<TokenNode | null> {
    const t = (await historyOf(ctx.runtime)).tokenByJti(jti);
    return t ? toToken(t) : null;
  }

  @Query(() => TokenConnection, { description: 'Tokens in issue order; at most 100 a page' })
  async tokens(
    @Arg('filter', () => TokenFilter, { nullable: true }) filter: TokenFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TokenConnection> {
    const history = await historyOf(ctx.runtime);
    const now = Date.now();
    const f = filter ?? {};
    const { page, total, hasNextPage } = history.selectTokens(
      {
        ...(f.clientId != null ? { clientId: f.clientId } : {}),
        ...(f.subject != null ? { subject: f.subject } : {}),
        ...(f.grantId != null ? { grantId: f.grantId } : {}),
        ...(f.actor != null ? { actor: f.actor } : {}),
        ...(f.status != null ? { status: f.status } : {}),
        ...(f.kind != null ? { kind: f.kind } : {}),
        ...(f.issuedAfter != null ? { issuedAfter: f.issuedAfter } : {}),
        ...(f.issuedBefore != null ? { issuedBefore: f.issuedBefore } : {}),
      },
      seqCursor(after),
      pageSize(first),
      now,
    );
    const edges = page.map((t) => ({ cursor: encodeCursor(t.seq), node: toToken(t, now) }));
    return { edges, pageInfo: pageInfo(hasNextPage, edges.at(-1)?.cursor ?? null), totalCount: total };
  }

  @Query(() => TokenStatus, {
    nullable: true,
    description: "The token's status at that moment, from its own events; null if not yet issued (or unknown)",
  })
  async tokenStatusAt(
    @Arg('jti', () => ID) jti: string,
    @Arg('at', () => DateTimeScalar) at: Date,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TokenStatus | null> {
    const history = await historyOf(ctx.runtime);
    const t = history.tokenByJti(jti);
    if (!t) return null;
    const own = statusAt(await tokenHistory(ctx.runtime.store, t), t, at);
    // An exchanged token ends with the chain it was derived from, whether or not its own record has come yet.
    const status = own === 'ACTIVE' ? await chainStatusAt(ctx.runtime.store, history, t, at) : own;
    return status === null ? null : TokenStatus[status];
  }

  @Query(() => Grant, { nullable: true })
  async grant(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Grant | null> {
    const g = (await historyOf(ctx.runtime)).grant(id);
    return g ? toGrant(g) : null;
  }

  @Query(() => Client, { nullable: true })
  client(@Arg('clientId', () => ID) clientId: string, @Ctx() ctx: GraphQLContext): Client | null {
    const c = clientById(ctx.runtime.views, clientId);
    return c ? toClient(c) : null;
  }

  @Query(() => ClientConnection, {
    description: 'Clients in registration order (deleted ones too); at most 100 a page',
  })
  clients(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('registeredBy', () => RegisteredBy, { nullable: true }) by: RegisteredBy | null | undefined,
    @Arg('initialAccessTokenId', () => String, {
      nullable: true,
      description: 'Only those that registered with this initial access token',
    })
    iat: string | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): ClientConnection {
    const all = [...allClients(ctx.runtime.views)].filter(
      (c) =>
        (by == null || registeredBy(c) === by) &&
        (iat == null || (c.registration?.via === 'dynamic' && c.registration.initialAccessTokenId === iat)),
    );
    const start = seqCursor(after) + 1;
    const n = pageSize(first);
    const edges = all.slice(start, start + n).map((c, i) => ({ cursor: encodeCursor(start + i), node: toClient(c) }));
    return { edges, pageInfo: pageInfo(start + n < all.length, edges.at(-1)?.cursor ?? null), totalCount: all.length };
  }

  @Query(() => User, { nullable: true })
  user(@Arg('sub', () => ID) sub: string, @Ctx() ctx: GraphQLContext): User | null {
    const u = userBySub(ctx.runtime.views, sub);
    return u ? toUser(u) : null;
  }

  @Query(() => [SigningKey], { description: 'Every signing key ever generated: public halves only' })
  signingKeys(@Ctx() ctx: GraphQLContext): SigningKey[] {
    const now = Date.now();
    return [...allSigningKeys(ctx.runtime.views)].map((k) => toSigningKey(k, now));
  }

  @Query(() => LedgerEventConnection, {
    description: 'The raw audit feed in ledger order: one stream, one category, or everything',
  })
  async events(
    @Arg('stream', () => String, { nullable: true }) stream: string | null,
    @Arg('category', () => String, { nullable: true }) category: string | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LedgerEventConnection> {
    const n = pageSize(first);
    const raw = decodeCursor(after);
    if (raw !== undefined && !/^\d+$/.test(raw)) throw badInput('invalid cursor');
    const afterPosition = raw === undefined ? -1n : BigInt(raw);
    if (stream != null) {
      if (category != null) throw badInput('give stream or category, not both');
      const all = await ctx.runtime.store.readStream(stream);
      const rest = all.filter((e) => e.position > afterPosition);
      const page = rest.slice(0, n);
      const edges = page.map((e) => ({ cursor: encodeCursor(e.position.toString()), node: toLedgerEvent(e) }));
      return { edges, pageInfo: pageInfo(rest.length > n, edges.at(-1)?.cursor ?? null), totalCount: all.length };
    }
    const prefix = category != null ? `${category}-` : undefined;
    const page: LedgerEvent[] = [];
    let position = afterPosition < 0n ? 0n : afterPosition;
    let scanned = 0;
    let hasNextPage = false;
    let endCursor: string | null = null;
    scan: while (scanned < SCAN_LIMIT) {
      const batch = await ctx.runtime.store.readAll(position, SCAN_BATCH);
      if (batch.length === 0) break;
      for (const e of batch) {
        scanned++;
        if (prefix === undefined || e.stream.startsWith(prefix)) {
          if (page.length === n) {
            hasNextPage = true;
            break scan;
          }
          page.push(toLedgerEvent(e));
          endCursor = encodeCursor(e.position.toString());
        }
        position = e.position;
        // Stopped by the scan limit, not by the end: the next page goes on from here.
        if (scanned >= SCAN_LIMIT) {
          hasNextPage = true;
          endCursor = encodeCursor(position.toString());
          break scan;
        }
      }
    }
    return {
      edges: page.map((node) => ({ cursor: encodeCursor(node.position), node })),
      pageInfo: pageInfo(hasNextPage, endCursor),
      totalCount: null,
    };
  }
}

@Resolver(() => Token)
export class TokenFieldsResolver {
  @FieldResolver(() => [LedgerEvent], { description: 'Every event of this token, oldest first' })
  async history(@Root() token: TokenNode, @Ctx() ctx: GraphQLContext): Promise<LedgerEvent[]> {
    return (await tokenHistory(ctx.runtime.store, token)).map(toLedgerEvent);
  }

  @FieldResolver(() => Token, { nullable: true, description: 'The token this one was exchanged for (RFC 8693)' })
  async derivedFrom(@Root() token: TokenNode, @Ctx() ctx: GraphQLContext): Promise<TokenNode | null> {
    const t = token.derivedFromJti ? (await historyOf(ctx.runtime)).tokenByJti(token.derivedFromJti) : undefined;
    return t ? toToken(t) : null;
  }

  @FieldResolver(() => [Token], { description: 'The tokens exchanged for this one (RFC 8693), in issue order' })
  async derivatives(@Root() token: TokenNode, @Ctx() ctx: GraphQLContext): Promise<TokenNode[]> {
    const now = Date.now();
    return (await historyOf(ctx.runtime)).derivativesOf(token.jti).map((t) => toToken(t, now));
  }

  @FieldResolver(() => Grant, { nullable: true })
  async grant(@Root() token: TokenNode, @Ctx() ctx: GraphQLContext): Promise<Grant | null> {
    const g = token.grantId ? (await historyOf(ctx.runtime)).grant(token.grantId) : undefined;
    return g ? toGrant(g) : null;
  }
}

@Resolver(() => Grant)
export class GrantFieldsResolver {
  @FieldResolver(() => Client, { nullable: true })
  client(@Root() grant: Grant, @Ctx() ctx: GraphQLContext): Client | null {
    const c = clientById(ctx.runtime.views, grant.clientId);
    return c ? toClient(c) : null;
  }

  @FieldResolver(() => [Token], { description: 'Access and refresh tokens of this grant, in issue order' })
  async tokens(@Root() grant: Grant, @Ctx() ctx: GraphQLContext): Promise<TokenNode[]> {
    const now = Date.now();
    return (await historyOf(ctx.runtime)).tokensOfGrant(grant.id).map((t) => toToken(t, now));
  }

  @FieldResolver(() => [LedgerEvent])
  async history(@Root() grant: Grant, @Ctx() ctx: GraphQLContext): Promise<LedgerEvent[]> {
    return (await ctx.runtime.store.readStream(grantStream(grant.id))).map(toLedgerEvent);
  }
}

@Resolver(() => Client)
export class ClientFieldsResolver {
  @FieldResolver(() => DateTimeScalar, {
    nullable: true,
    description:
      'When it was last issued a token or an authorization code (what pruning of idle self-registered clients ' +
      'looks at); null: never',
  })
  lastUsedAt(@Root() client: Client, @Ctx() ctx: GraphQLContext): Date | null {
    const at = clientLastUsedAt(ctx.runtime.views, client.clientId);
    return at === undefined ? null : new Date(at);
  }

  @FieldResolver(() => [LedgerEvent])
  async history(@Root() client: Client, @Ctx() ctx: GraphQLContext): Promise<LedgerEvent[]> {
    return (await ctx.runtime.store.readStream(clientStream(client.clientId))).map(toLedgerEvent);
  }
}

@Resolver(() => User)
export class UserFieldsResolver {
  @FieldResolver(() => [Grant])
  async grants(@Root() user: User, @Ctx() ctx: GraphQLContext): Promise<Grant[]> {
    return (await historyOf(ctx.runtime)).grantsOf({ subject: user.sub }).map(toGrant);
  }

  @FieldResolver(() => [Session])
  async sessions(@Root() user: User, @Ctx() ctx: GraphQLContext): Promise<Session[]> {
    const now = Date.now();
    return (await historyOf(ctx.runtime)).sessionsOf(user.sub).map((s) => toSession(s, now));
  }

  @FieldResolver(() => [LedgerEvent])
  async history(@Root() user: User, @Ctx() ctx: GraphQLContext): Promise<LedgerEvent[]> {
    return (await ctx.runtime.store.readStream(userStream(user.sub))).map(toLedgerEvent);
  }
}
