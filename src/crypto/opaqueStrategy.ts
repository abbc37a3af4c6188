import { mintSecret } from './secrets.js';

/** An opaque access token: 256 random bits, prefixed `tlat_` so secret scanners can spot a leak. */
export const mintOpaqueToken = (): string => mintSecret('tlat');
