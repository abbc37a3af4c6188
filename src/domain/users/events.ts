import { Type, type Static } from '@sinclair/typebox';
import { defineEvent, type EventOf, type EventsOf } from '../events/catalogue.js';
import { OPERATOR_ROLES } from './roles.js';

/**
 * How a password is kept: never in clear, always a slow, salted hash. A union so that another
 * algorithm (argon2id, stronger scrypt parameters) can be added later without a new event version.
 */
export const PasswordHash = Type.Union([
  Type.Object(
    {
      alg: Type.Literal('scrypt'),
      salt: Type.String({ minLength: 22 }),
      hash: Type.String({ minLength: 43 }),
      // Bounds keep a damaged or hostile ledger from making verification exhaust memory or CPU.
      N: Type.Integer({ minimum: 1024, maximum: 2 ** 20 }),
      r: Type.Integer({ minimum: 1, maximum: 32 }),
      p: Type.Integer({ minimum: 1, maximum: 16 }),
    },
    { additionalProperties: false },
  ),
]);
export type PasswordHash = Static<typeof PasswordHash>;

export const USERNAME_PATTERN = '^[A-Za-z0-9._@+-]+$';
export const USERNAME_MAX_LENGTH = 64;

/** The OIDC `sub`: a UUID (v7 when we mint it), stable and never reassigned. */
const Sub = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Username = Type.String({ minLength: 1, maxLength: USERNAME_MAX_LENGTH, pattern: USERNAME_PATTERN });

/** The first release's registration: personal data in clear (it cannot be erased, only superseded). */
const UserRegisteredV1 = defineEvent(
  'UserRegistered',
  1,
  Type.Object({
    sub: Sub,
    /** As the user chose it (NFKC); logins compare the normalised (lower-case) form. */
    username: Username,
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    emailVerified: Type.Boolean(),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    passwordHash: PasswordHash,
  }),
);
/** An HMAC-SHA-256 (hex) of the normalised username under a key derived from the key-encryption secret. */
const UsernameKey = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** A compact JWE (`dir`, `A256GCM`, kid = the sub) of `{ username, email?, name? }` under the subject's key. */
const SealedPersonalData = Type.String({
  pattern: '^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
  maxLength: 4096,
});

/**
 * A registration whose personal data is sealed under the subject's key (kept outside the ledger):
 * destroying the key erases it, while the hashes, covering the ciphertext, stay valid.
 */
const UserRegistered = defineEvent(
  'UserRegistered',
  2,
  Type.Object({
    sub: Sub,
    usernameKey: UsernameKey,
    pii: SealedPersonalData,
    emailVerified: Type.Boolean(),
    passwordHash: PasswordHash,
  }),
);
const UserPasswordChanged = defineEvent(
  'UserPasswordChanged',
  1,
  Type.Object({ sub: Sub, passwordHash: PasswordHash }),
);
/** The user can no longer sign in, and every session, grant and token they hold ends with this fact. */
const UserDisabled = defineEvent('UserDisabled', 1, Type.Object({ sub: Sub }));
/** Sign-ins work again; nothing that UserDisabled ended comes back. */
const UserEnabled = defineEvent('UserEnabled', 1, Type.Object({ sub: Sub }));
/**
 * Every session, grant and token the user holds at this point ends (written with a password change
 * unless the operator kept them). Views apply it themselves, so it holds the moment it is recorded.
 */
const UserSessionsRevoked = defineEvent('UserSessionsRevoked', 1, Type.Object({ sub: Sub }));

/**
 * The subject's key is destroyed after this event: every sealed field about them reads `erased` from now
 * on. Always after UserDisabled (which ends every session, grant and token); the operator's reason is in the metadata.
 */
const UserErased = defineEvent('UserErased', 1, Type.Object({ sub: Sub }));

const Role = Type.Union(OPERATOR_ROLES.map((r) => Type.Literal(r)));
/** The person's tokens may carry this operator role's scope (src/domain/users/roles.ts); the reason: metadata. */
const RoleGranted = defineEvent('RoleGranted', 1, Type.Object({ sub: Sub, role: Role }));
/** The person's tokens stop carrying the role's scope from this event on, at the next request they make. */
const RoleRevoked = defineEvent('RoleRevoked', 1, Type.Object({ sub: Sub, role: Role }));

/**
 * The first release's claim, on stream `username-<sha256(normalised username)>`: the name in clear.
 * Still read, so that those names stay taken.
 */
const UsernameClaimedV1 = defineEvent('UsernameClaimed', 1, Type.Object({ username: Username, sub: Sub }));
/**
 * Written first, to stream `username-<usernameKey>` with expected revision `no_stream`: the ledger's
 * optimistic concurrency makes a username unique across instances. Keyed, so the name is not in it.
 */
export const UsernameClaimed = defineEvent('UsernameClaimed', 2, Type.Object({ usernameKey: UsernameKey, sub: Sub }));

/** The events of a `user-<sub>` stream. */
const userStreamEvents = [
  UserRegistered,
  UserPasswordChanged,
  UserDisabled,
  UserEnabled,
  UserSessionsRevoked,
  UserErased,
  RoleGranted,
  RoleRevoked,
];
export const userEvents = [...userStreamEvents, UserRegisteredV1, UsernameClaimedV1, UsernameClaimed];
/**
 * As deciders and views read it (src/eventsourcing/personalDataStore.ts opens the seal): the v1 fields, each
 * personal one `erased` once the subject's key is gone; `usernameKey` absent on a first-release event.
 */
export type UserRegisteredEvent = {
  type: 'UserRegistered';
  data: EventOf<typeof UserRegisteredV1>['data'] & { usernameKey?: string };
};
export type UsernameClaimedEvent = EventOf<typeof UsernameClaimed> | EventOf<typeof UsernameClaimedV1>;
/** The events of a user stream as read (opened); see UserRegisteredEvent. */
export type UserEvent = Exclude<EventsOf<typeof userStreamEvents>, { type: 'UserRegistered' }> | UserRegisteredEvent;
/** As decided and written. */
export type WrittenUserEvent = EventsOf<typeof userStreamEvents>;

/** The events after which nothing the user held before still works (sessions, grants, tokens, codes). */
export const ENDS_EVERYTHING_OF_USER = ['UserDisabled', 'UserSessionsRevoked'] as const;
