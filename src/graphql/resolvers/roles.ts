import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { userBySub } from '../../application/queries/users.js';
import { grantRole, revokeRole } from '../../application/roles.js';
import { commandContext, type GraphQLContext } from '../context.js';
import { toUser } from '../mappers.js';
import { User } from '../types.js';
import { checkReason, command } from './mutation.js';

const ROLE_DESCRIPTION = 'ledger:admin (read and change the ledger) or ledger:audit (read only)';

/** Operator roles (docs/operator-roles.md): what a person holds, and the mutations that change it (admin only). */
@Resolver(() => User)
export class RolesResolver {
  @FieldResolver(() => [String], {
    description: "The operator roles held now: a person's token carries a ledger:* scope only while its role is held",
  })
  roles(@Root() user: User, @Ctx() ctx: GraphQLContext): string[] {
    return userBySub(ctx.runtime.views, user.sub)?.roles ?? [];
  }

  @Mutation(() => User, {
    description: 'Gives a user an operator role; refused for a disabled or erased user. Holding it already: no change',
  })
  grantRole(
    @Arg('sub', () => ID) sub: string,
    @Arg('role', () => String, { description: ROLE_DESCRIPTION }) role: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<User> {
    return command(async () => {
      const why = checkReason(reason);
      return toUser(await grantRole(ctx.runtime.ports, sub, role, { ...commandContext(ctx, why), reason: why }));
    });
  }

  @Mutation(() => User, {
    description:
      "Takes an operator role away: the user's tokens lose its scope at their next request. Not held: no change",
  })
  revokeRole(
    @Arg('sub', () => ID) sub: string,
    @Arg('role', () => String, { description: ROLE_DESCRIPTION }) role: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<User> {
    return command(async () => {
      const why = checkReason(reason);
      return toUser(await revokeRole(ctx.runtime.ports, sub, role, { ...commandContext(ctx, why), reason: why }));
    });
  }
}
