import { GraphQLError } from 'graphql';
import { Refusal } from '../domain/refusal.js';

/**
 * A refusal as the management API answers it: BAD_USER_INPUT with the refusal's description and,
 * for a domain refusal, its finer reason (`extensions.reason`, e.g. `user_exists`). Anything else,
 * a store fault included, is left to formatError, which answers an internal error and logs it.
 */
export function graphqlErrorOf(err: unknown): unknown {
  if (err instanceof GraphQLError || !(err instanceof Refusal) || err.retryable || err.internal) return err;
  const extensions =
    err.reason === undefined ? { code: 'BAD_USER_INPUT' } : { code: 'BAD_USER_INPUT', reason: err.reason };
  return new GraphQLError(err.description, { extensions });
}
