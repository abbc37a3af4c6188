import { Type, type Static, type TObject } from '@sinclair/typebox';

/** RFC 8693 chains longer than this are refused whatever a client registers (token_exchange_max_depth ≤ 10). */
const MAX_CHAIN_DEPTH = 10;

/**
 * RFC 8693 §4.1 `act`: the current actor, with the prior actors nested inside it. A schema of bounded depth rather
 * than a recursive one: a chain is never longer than MAX_CHAIN_DEPTH.
 */
function actSchema(depth: number): TObject {
  const sub = Type.String({ minLength: 1, maxLength: 255 });
  return depth <= 1
    ? Type.Object({ sub }, { additionalProperties: false })
    : Type.Object({ sub, act: Type.Optional(actSchema(depth - 1)) }, { additionalProperties: false });
}

export const ActClaim = Type.Unsafe<Act>(actSchema(MAX_CHAIN_DEPTH + 1));
export interface Act {
  sub: string;
  act?: Act;
}

/**
 * What an exchanged access token was issued for: the subject token by id, hash (the key views keep tokens under) and
 * client, whether it was an access or an ID token, the grant its chain started in (its
 * revocation ends the whole chain), and how many exchanges the chain holds with this one (1: exchanged once).
 */
export const DerivedFrom = Type.Object(
  {
    jti: Type.String({ minLength: 1, maxLength: 64 }),
    tokenHash: Type.String({ minLength: 43, maxLength: 43 }),
    tokenType: Type.Union([Type.Literal('access_token'), Type.Literal('id_token')]),
    /** The subject token's client: disabling it ends this token too. */
    clientId: Type.String({ minLength: 1 }),
    grantId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    depth: Type.Integer({ minimum: 1, maximum: MAX_CHAIN_DEPTH }),
  },
  { additionalProperties: false },
);
export type DerivedFrom = Static<typeof DerivedFrom>;

/** Why an exchanged token ended with the token or grant it was derived from. */
export const DERIVED_REVOCATION_REASON = 'the token it was exchanged from was revoked';
