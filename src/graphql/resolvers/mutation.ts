import { Arg, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import { deleteClient, disableClient, type ClientMetadataChanges } from '../../application/clients.js';
import { clientById } from '../../application/queries/clients.js';
import { signingKeyByKid } from '../../application/queries/keys.js';
import { registerClient } from '../../application/registerClient.js';
import { updateClient } from '../../application/updateClient.js';
import { revokeGrant, revokeGrantToken } from '../../application/revokeGrant.js';
import { rotateSigningKey } from '../../application/keyring.js';
import { rotateClientSecret } from '../../application/rotateClientSecret.js';
import { revokeToken } from '../../application/revokeToken.js';
import { revokeAllFor } from '../../application/revokeAllFor.js';
import { changePassword } from '../../application/changePassword.js';
import { disableUser } from '../../application/disableUser.js';
import { enableUser } from '../../application/enableUser.js';
import { registerUser } from '../../application/registerUser.js';
import type { ClientMetadata } from '../../domain/clients/events.js';
import { ClientCommandError } from '../../domain/clients/decide.js';
import type { ClientState } from '../../domain/clients/state.js';
import type { Runtime } from '../../runtime.js';
import { commandContext, type GraphQLContext } from '../context.js';
import { graphqlErrorOf } from '../refusals.js';
import { badInput, notFound, toClient, toGrant, toSigningKey, toToken, toUser, type TokenNode } from '../mappers.js';
import {
  Client,
  CreateUserInput,
  Grant,
  RegisterClientInput,
  RegisteredClient,
  SigningAlg,
  SigningKey,
  Token,
  UpdateClientInput,
  User,
} from '../types.js';
import { historyOf } from './reads.js';

/** Refusals become BAD_USER_INPUT (graphqlErrorOf); anything else stays an internal error. */
export async function command<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw graphqlErrorOf(err);
  }
}

export function checkReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length < 1 || trimmed.length > 200) throw badInput('reason must be 1 to 200 characters');
  return trimmed;
}

function mustFindClient(rt: Runtime, clientId: string): ClientState {
  const c = clientById(rt.views, clientId);
  if (!c) throw notFound(`client ${clientId} does not exist`);
  return c;
}

type MetadataInput = Omit<RegisterClientInput, 'clientId'>;

/** The input as RFC 7591 fields; the defaults and what an update keeps are the use cases' (as in the CLI). */
function changesFrom(input: MetadataInput): ClientMetadataChanges {
  return {
    client_name: input.name,
    grant_types: input.grantTypes as ClientMetadata['grant_types'] | null | undefined,
    redirect_uris: input.redirectUris,
    scope: input.scope,
    token_endpoint_auth_method: input.tokenEndpointAuthMethod as ClientMetadata['token_endpoint_auth_method'] | null,
    jwks: input.jwks as ClientMetadata['jwks'] | null | undefined,
    access_token_format: input.accessTokenFormat as ClientMetadata['access_token_format'] | null,
    access_token_signing_alg: input.accessTokenSigningAlg as ClientMetadata['access_token_signing_alg'] | null,
    access_token_ttl: input.accessTokenTtl,
    id_token_signed_response_alg: input.idTokenSignedResponseAlg as
      ClientMetadata['id_token_signed_response_alg'] | null,
    post_logout_redirect_uris: input.postLogoutRedirectUris,
    backchannel_logout_uri: input.backchannelLogoutUri,
    response_modes: input.responseModes as ClientMetadata['response_modes'] | null,
    introspection_access: input.introspectionAccess as ClientMetadata['introspection_access'] | null,
    introspection_audiences: input.introspectionAudiences,
    logo_uri: input.logoUri,
    client_uri: input.clientUri,
    policy_uri: input.policyUri,
    tos_uri: input.tosUri,
    dpop_bound_access_tokens: input.dpopBoundAccessTokens,
    require_pushed_authorization_requests: input.requirePushedAuthorizationRequests,
    request_object_signing_alg: input.requestObjectSigningAlg as ClientMetadata['request_object_signing_alg'] | null,
    security_profile: input.securityProfile as ClientMetadata['security_profile'] | null,
    token_exchange_audiences: input.tokenExchangeAudiences,
    token_exchange_impersonation: input.tokenExchangeImpersonation,
    token_exchange_max_depth: input.tokenExchangeMaxDepth,
    token_exchange_scope: input.tokenExchangeScope,
  };
}

/**
 * Revokes every live token and grant of a client or subject (src/application/revokeAllFor.ts, the rule
 * disabling a client or user uses); the subject's sessions stay. Returns how many tokens were live.
 */
async function revokeAll(
  rt: Runtime,
  of: { clientId: string } | { subject: string },
  reason: string,
  ctx: GraphQLContext,
): Promise<number> {
  // Answers UNAVAILABLE when the history index cannot catch up in time.
  await historyOf(rt);
  return revokeAllFor(rt.ports, of, reason, commandContext(ctx, reason), { endSessions: false });
}

@Resolver()
export class MutationResolver {
  @Mutation(() => Token, { description: 'Revokes one token; a refresh token takes its whole grant with it' })
  revokeToken(
    @Arg('jti', () => ID) jti: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TokenNode> {
    return command(async () => {
      const why = checkReason(reason);
      const rt = ctx.runtime;
      const t = (await historyOf(rt)).tokenByJti(jti);
      if (!t) throw notFound(`token ${jti} does not exist`);
      const cctx = commandContext(ctx, why);
      if (t.grantId) await revokeGrantToken(rt.ports, t.grantId, jti, null, why, cctx);
      else await revokeToken(rt.ports, jti, { operator: ctx.operator!.clientId }, why, cctx);
      return toToken((await historyOf(rt)).tokenByJti(jti)!);
    });
  }

  @Mutation(() => Grant, { description: 'Revokes a grant and every token it produced' })
  revokeGrant(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Grant> {
    return command(async () => {
      const why = checkReason(reason);
      if (!(await historyOf(ctx.runtime)).grant(id)) throw notFound(`grant ${id} does not exist`);
      await revokeGrant(ctx.runtime.ports, id, why, commandContext(ctx, why));
      return toGrant((await historyOf(ctx.runtime)).grant(id)!);
    });
  }

  @Mutation(() => Int, {
    description: 'Revokes every live token and grant of a client; answers how many tokens were live',
  })
  revokeClientTokens(
    @Arg('clientId', () => ID) clientId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<number> {
    return command(async () => {
      const why = checkReason(reason);
      return revokeAll(ctx.runtime, { clientId }, why, ctx);
    });
  }

  @Mutation(() => Int, {
    description: 'Revokes every live token and grant of a subject; answers how many tokens were live',
  })
  revokeSubjectTokens(
    @Arg('subject', () => ID) subject: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<number> {
    return command(async () => {
      const why = checkReason(reason);
      return revokeAll(ctx.runtime, { subject }, why, ctx);
    });
  }

  @Mutation(() => RegisteredClient, { description: 'Registers a client; a generated secret is answered here, once' })
  registerClient(
    @Arg('input', () => RegisterClientInput) input: RegisterClientInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RegisteredClient> {
    return command(async () => {
      const registration = { clientId: input.clientId ?? undefined, changes: changesFrom(input) };
      const { client, secret } = await registerClient(ctx.runtime.ports, registration, commandContext(ctx));
      return { client: toClient(client), clientSecret: secret };
    });
  }

  @Mutation(() => Client, { description: "Changes a client's metadata; omitted fields keep their values" })
  updateClient(
    @Arg('clientId', () => ID) clientId: string,
    @Arg('input', () => UpdateClientInput) input: UpdateClientInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Client> {
    return command(async () => {
      try {
        return toClient(await updateClient(ctx.runtime.ports, clientId, changesFrom(input), commandContext(ctx)));
      } catch (err) {
        // An unknown client is NOT_FOUND here, as for every other mutation on a client.
        throw err instanceof ClientCommandError && err.code === 'client_not_found'
          ? notFound(`client ${clientId} does not exist`)
          : err;
      }
    });
  }

  @Mutation(() => RegisteredClient, {
    description:
      'Gives the client a new secret, answered here once; the replaced one keeps working for graceSeconds ' +
      '(default a day, 0: it stops at once)',
  })
  rotateClientSecret(
    @Arg('clientId', () => ID) clientId: string,
    @Arg('graceSeconds', () => Int, { nullable: true }) graceSeconds: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RegisteredClient> {
    return command(async () => {
      const rt = ctx.runtime;
      mustFindClient(rt, clientId);
      const { client, secret } = await rotateClientSecret(
        rt.ports,
        clientId,
        { graceSeconds: graceSeconds ?? undefined },
        commandContext(ctx),
      );
      return { client: toClient(client), clientSecret: secret };
    });
  }

  @Mutation(() => Client, {
    description: 'Disables a client: it can no longer authenticate; its grants and tokens are revoked',
  })
  disableClient(
    @Arg('clientId', () => ID) clientId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Client> {
    return command(async () => {
      const why = checkReason(reason);
      mustFindClient(ctx.runtime, clientId);
      await disableClient(ctx.runtime.ports, clientId, commandContext(ctx, why));
      return toClient(mustFindClient(ctx.runtime, clientId));
    });
  }

  @Mutation(() => Client, {
    description:
      'Deletes a client for good (as RFC 7592 DELETE does): it can no longer authenticate, its grants and tokens ' +
      'are revoked, and its id stays taken',
  })
  deleteClient(
    @Arg('clientId', () => ID) clientId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Client> {
    return command(async () => {
      const why = checkReason(reason);
      const gone = () => notFound(`client ${clientId} was deleted before`);
      if (mustFindClient(ctx.runtime, clientId).deleted) throw gone();
      try {
        await deleteClient(ctx.runtime.ports, clientId, why, commandContext(ctx, why));
      } catch (err) {
        // Another process deleted it between the look and the write.
        throw err instanceof ClientCommandError && err.code === 'client_not_found' ? gone() : err;
      }
      return toClient(mustFindClient(ctx.runtime, clientId));
    });
  }

  @Mutation(() => User, { description: 'Registers a user; the password is kept as a hash only' })
  createUser(@Arg('input', () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: GraphQLContext): Promise<User> {
    return command(async () => {
      const user = await registerUser(
        ctx.runtime.ports,
        {
          username: input.username,
          password: input.password,
          ...(input.email != null ? { email: input.email } : {}),
          ...(input.name != null ? { name: input.name } : {}),
          ...(input.emailVerified != null ? { emailVerified: input.emailVerified } : {}),
        },
        commandContext(ctx),
      );
      return toUser(user);
    });
  }

  @Mutation(() => User, {
    description: 'Disables a user: no more logins; their sessions, grants and tokens are revoked',
  })
  disableUser(
    @Arg('sub', () => ID) sub: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<User> {
    return command(async () =>
      toUser(await disableUser(ctx.runtime.ports, sub, commandContext(ctx, checkReason(reason)))),
    );
  }

  @Mutation(() => User, { description: 'Lets a disabled user log in again; what disabling revoked stays revoked' })
  enableUser(
    @Arg('sub', () => ID) sub: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<User> {
    return command(async () =>
      toUser(await enableUser(ctx.runtime.ports, sub, commandContext(ctx, checkReason(reason)))),
    );
  }

  @Mutation(() => User, {
    description: "Replaces a user's password; their sessions, grants and tokens are revoked unless keepSessions",
  })
  setUserPassword(
    @Arg('sub', () => ID) sub: string,
    @Arg('password', () => String) password: string,
    @Arg('reason', () => String) reason: string,
    @Arg('keepSessions', () => Boolean, { defaultValue: false }) keepSessions: boolean,
    @Ctx() ctx: GraphQLContext,
  ): Promise<User> {
    return command(async () =>
      toUser(
        await changePassword(ctx.runtime.ports, sub, password, commandContext(ctx, checkReason(reason)), {
          keepSessions,
        }),
      ),
    );
  }

  @Mutation(() => SigningKey, {
    description: 'Generates a signing key: published at once, signing after activateInSeconds',
  })
  rotateSigningKey(
    @Arg('alg', () => SigningAlg, { defaultValue: SigningAlg.ES256 }) alg: SigningAlg,
    @Arg('activateInSeconds', () => Int, { defaultValue: 0 }) activateInSeconds: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SigningKey> {
    return command(async () => {
      if (!Number.isInteger(activateInSeconds) || activateInSeconds < 0)
        throw badInput('activateInSeconds must be a non-negative integer');
      const rt = ctx.runtime;
      const now = Date.now();
      const events = await rotateSigningKey(rt.ports, alg, now + activateInSeconds * 1000, commandContext(ctx), now);
      const generated = events.find((e) => e.type === 'SigningKeyGenerated') as { data: { kid: string } } | undefined;
      const key = generated ? signingKeyByKid(rt.views, generated.data.kid) : undefined;
      if (!key) throw new Error('no key was generated');
      return toSigningKey(key);
    });
  }
}
