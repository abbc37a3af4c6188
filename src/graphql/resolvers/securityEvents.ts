import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { securityEventPage } from '../../application/queries/securityEvents.js';
import type { GraphQLContext } from '../context.js';
import { badInput, decodeCursor, encodeCursor, pageInfo, pageSize, redact } from '../mappers.js';
import { DateTimeScalar } from '../scalars.js';
import { LedgerEventConnection } from '../types.js';

@Resolver()
export class SecurityEventsResolver {
  @Query(() => LedgerEventConnection, {
    description:
      'Security events (logins, failed client authentications, consent, logouts, throttle blocks), oldest first, ' +
      'from the latest 10000 (docs/audit-security-events.md); older ones through `events`',
  })
  securityEvents(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('type', () => String, { nullable: true }) type: string | null,
    @Arg('clientId', () => String, { nullable: true }) clientId: string | null,
    @Arg('sub', () => String, { nullable: true }) sub: string | null,
    @Arg('since', () => DateTimeScalar, { nullable: true }) since: Date | null,
    @Ctx() ctx: GraphQLContext,
  ): LedgerEventConnection {
    const n = pageSize(first);
    const raw = decodeCursor(after);
    if (raw !== undefined && !/^\d{1,20}$/.test(raw)) throw badInput('invalid cursor');
    const { entries, hasNextPage } = securityEventPage(
      ctx.runtime.views,
      {
        ...(type != null && { type }),
        ...(clientId != null && { clientId }),
        ...(sub != null && { sub }),
        ...(since != null && { since }),
        ...(raw !== undefined && { after: BigInt(raw) }),
      },
      n,
    );
    const edges = entries.map((e) => ({
      cursor: encodeCursor(e.position.toString()),
      node: { ...e, position: e.position.toString(), reason: null, data: redact(e.data) },
    }));
    return { edges, pageInfo: pageInfo(hasNextPage, edges.at(-1)?.cursor ?? null), totalCount: null };
  }
}
