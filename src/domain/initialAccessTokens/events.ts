import { Type } from '@sinclair/typebox';
import { defineEvent, type EventsOf } from '../events/catalogue.js';
import { RegistrationPolicy } from '../registration/policy.js';

/** The SHA-256 (base64url) of the token: its id; the token itself is never recorded. */
const TokenHash = Type.String({ minLength: 43, maxLength: 43 });

/**
 * RFC 7591 §3: an operator minted an initial access token. `expiresAt` (ms) and `uses` null: no limit; `policy`
 * narrows what a registration with it may ask for.
 */
const InitialAccessTokenIssued = defineEvent(
  'InitialAccessTokenIssued',
  1,
  Type.Object({
    tokenHash: TokenHash,
    expiresAt: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    uses: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    policy: Type.Optional(RegistrationPolicy),
  }),
);
/** A client registered with it. */
const InitialAccessTokenUsed = defineEvent(
  'InitialAccessTokenUsed',
  1,
  Type.Object({ tokenHash: TokenHash, clientId: Type.String({ minLength: 1, maxLength: 2000 }) }),
);
const InitialAccessTokenRevoked = defineEvent('InitialAccessTokenRevoked', 1, Type.Object({ tokenHash: TokenHash }));

export const initialAccessTokenEvents = [InitialAccessTokenIssued, InitialAccessTokenUsed, InitialAccessTokenRevoked];
export type InitialAccessTokenEvent = EventsOf<typeof initialAccessTokenEvents>;
