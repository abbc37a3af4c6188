import { randomBytes } from 'node:crypto';

/** 256 random bits with a prefix naming the kind, so a leaked one is recognisable. */
export const mintSecret = (prefix: 'tlac' | 'tlrt' | 'tlsid'): string => `${prefix}_${randomBytes(32).toString('base64url')}`;
