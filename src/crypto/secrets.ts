import { randomFillSync } from 'node:crypto';

const SECRET_BYTES = 32;
/** 128 secrets per refill: one call into the CSPRNG instead of one per token (as randomUUID does). */
const pool = Buffer.allocUnsafeSlow(SECRET_BYTES * 128);
let offset = pool.length;

function randomSecretBytes(): Buffer {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + SECRET_BYTES);
  offset += SECRET_BYTES;
  return bytes;
}

/** 256 random bits with a prefix naming the kind, so a leaked one is recognisable (and scannable). */
export const mintSecret = (prefix: 'tlat' | 'tlac' | 'tlrt' | 'tlsid' | 'tldc'): string =>
  `${prefix}_${randomSecretBytes().toString('base64url')}`;
