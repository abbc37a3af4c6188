import { Arg, Resolver, Root, Subscription } from 'type-graphql';
import { authorize, type GraphQLContext } from '../context.js';
import { ledgerFeed } from '../feed.js';
import { LedgerEvent } from '../types.js';

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => LedgerEvent, {
    description:
      'Ledger events as they are appended, in ledger order, optionally of one stream category (the stream name ' +
      "before its first '-'). Hashes of secrets are left out, as in `events`.",
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      authorize(ctx.operator, 'subscription');
      return ledgerFeed(ctx.runtime, {
        category: (args as { category?: string | null }).category ?? null,
        ...(ctx.stillAuthorized ? { stillAllowed: ctx.stillAuthorized } : {}),
      });
    },
  })
  ledgerEvents(
    @Root() event: LedgerEvent,
    @Arg('category', () => String, { nullable: true }) _category: string | null,
  ): LedgerEvent {
    return event;
  }
}
