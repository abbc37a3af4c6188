import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { eraseUser } from '../../application/eraseUser.js';
import { commandContext, type GraphQLContext } from '../context.js';
import { toUser } from '../mappers.js';
import { User } from '../types.js';
import { checkReason, command } from './mutation.js';

@Resolver()
export class ErasureResolver {
  @Mutation(() => User, {
    description:
      "Erases a user's personal data for good (crypto-shredding): their sessions, grants and tokens end, " +
      'UserErased is recorded with the reason, and their key is destroyed; username, email and name then read ' +
      '"erased" everywhere, while the ledger still verifies. Idempotent.',
  })
  eraseUser(
    @Arg('sub', () => ID) sub: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<User> {
    return command(async () => {
      const why = checkReason(reason);
      return toUser(await eraseUser(ctx.runtime.ports, sub, { ...commandContext(ctx, why), reason: why }));
    });
  }
}
