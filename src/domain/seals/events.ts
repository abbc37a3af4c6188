import { Type } from '@sinclair/typebox';
import { defineEvent, IsoDateTime, type EventOf } from '../events/catalogue.js';
import { SigningKeyGenerated } from '../keyring/events.js';

/**
 * The key that signs the ledger's seals: ES256, never used for tokens, so rotating token keys never touches the
 * proofs auditors keep. Its public half stays published for ever (a seal is checked years later).
 */
export const SealKeyGenerated = defineEvent(
  'SealKeyGenerated',
  1,
  Type.Object({
    kid: Type.String({ minLength: 1, maxLength: 128 }),
    alg: Type.Literal('ES256'),
    publicJwk: Type.Object({ kty: Type.String() }, { additionalProperties: true }),
    /** Encrypted under the key-encryption secret, as the token signing keys are. */
    encryptedPrivateKey: SigningKeyGenerated.schema.properties.encryptedPrivateKey,
    /** Signs every seal from this time on, until a newer seal key is generated. */
    activatesAt: IsoDateTime,
  }),
);

/**
 * A signed statement of the whole ledger at one moment: the RFC 9162 root of the Merkle tree over its first
 * `treeSize` events in position order. This event is itself a leaf after them, sealed by the next seal.
 */
export const LedgerSealed = defineEvent(
  'LedgerSealed',
  1,
  Type.Object({
    treeSize: Type.Integer({ minimum: 1 }),
    /** base64url of the 32-byte root. */
    rootHash: Type.String({ minLength: 43, maxLength: 43 }),
    sealedAt: IsoDateTime,
    kid: Type.String({ minLength: 1, maxLength: 128 }),
    /** Compact JWS (ES256) over {treeSize, rootHash, sealedAt}, made with the seal key `kid`. */
    jws: Type.String({ minLength: 1, maxLength: 2048 }),
  }),
);

export const sealEvents = [SealKeyGenerated, LedgerSealed];

export type SealEvent = EventOf<typeof SealKeyGenerated> | EventOf<typeof LedgerSealed>;

/** Seal keys and seals are one aggregate: a seal is decided against the last one and the current key. */
export const SEAL_STREAM = 'seal-ledger';
