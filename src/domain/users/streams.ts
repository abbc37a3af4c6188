import { sha256 } from '../../crypto/hash.js';
import { normaliseUsername } from './decide.js';

/** A sub is a UUID: its dashes stay after the first one, so the `$ce-` category is `user`. */
export const userStream = (sub: string) => `user-${sub}`;
/**
 * Named by the username's keyed hash (usernameKeyer in src/crypto/personalData.ts): a name the ledger does not
 * give away, of bounded length and without the characters (`@`, `+`, `.`) that make a poor stream name.
 */
export const usernameStream = (usernameKey: string) => `username-${usernameKey}`;
/** The first release's claim stream, an unkeyed hash: still read, so that the names claimed there stay taken. */
export const legacyUsernameStream = (username: string) => `username-${sha256(normaliseUsername(username))}`;
