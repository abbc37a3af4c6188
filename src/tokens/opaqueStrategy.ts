import { randomBytes } from 'node:crypto';

/** 256 random bits with a recognisable prefix, so secret scanners can spot a leaked token. */
export const mintOpaqueToken = (): string => `tlat_${randomBytes(32).toString('base64url')}`;
