import { Type, type Static } from '@sinclair/typebox';
import { defineEvent, type EventOf, type EventsOf } from '../events/catalogue.js';

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

const UserRegistered = defineEvent(
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
 * Written first, to stream `username-<sha256(normalised username)>` with expected revision
 * `no_stream`: the ledger's optimistic concurrency makes a username unique across instances.
 */
export const UsernameClaimed = defineEvent('UsernameClaimed', 1, Type.Object({ username: Username, sub: Sub }));

/** The events of a `user-<sub>` stream. */
const userStreamEvents = [UserRegistered, UserPasswordChanged, UserDisabled, UserEnabled, UserSessionsRevoked];
export const userEvents = [...userStreamEvents, UsernameClaimed];
export type UserRegisteredEvent = EventOf<typeof UserRegistered>;
export type UsernameClaimedEvent = EventOf<typeof UsernameClaimed>;
export type UserEvent = EventsOf<typeof userStreamEvents>;

/** The events after which nothing the user held before still works (sessions, grants, tokens, codes). */
export const ENDS_EVERYTHING_OF_USER = ['UserDisabled', 'UserSessionsRevoked'] as const;
