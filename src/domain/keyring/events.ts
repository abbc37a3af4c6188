import { Type } from '@sinclair/typebox';
import { defineEvent, IsoDateTime, type EventOf } from '../events/catalogue.js';

export const SigningAlg = Type.Union([Type.Literal('RS256'), Type.Literal('ES256')]);

/** The private key, encrypted under the key-encryption secret; never stored in clear. */
const EncryptedPrivateKey = Type.Object(
  {
    enc: Type.Literal('A256GCM'),
    kdf: Type.Literal('scrypt'),
    salt: Type.String({ minLength: 16 }),
    iv: Type.String({ minLength: 16 }),
    tag: Type.String({ minLength: 16 }),
    ciphertext: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const SigningKeyGenerated = defineEvent(
  'SigningKeyGenerated',
  1,
  Type.Object({
    kid: Type.String({ minLength: 1, maxLength: 128 }),
    alg: SigningAlg,
    /** Public JWK as published in the JWKS. */
    publicJwk: Type.Object({ kty: Type.String() }, { additionalProperties: true }),
    encryptedPrivateKey: EncryptedPrivateKey,
    /** Published from the moment it is recorded; signs from this time on. */
    activatesAt: IsoDateTime,
  }),
);

export const SigningKeyRetired = defineEvent(
  'SigningKeyRetired',
  1,
  Type.Object({
    kid: Type.String({ minLength: 1, maxLength: 128 }),
    /** Signs nothing from this time on. */
    retiredAt: IsoDateTime,
    /** Stays in the JWKS until every token it signed has expired. */
    publishUntil: IsoDateTime,
  }),
);

export const keyringEvents = [SigningKeyGenerated, SigningKeyRetired];

export type KeyringEvent = EventOf<typeof SigningKeyGenerated> | EventOf<typeof SigningKeyRetired>;
